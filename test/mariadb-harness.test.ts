/**
 * The private MariaDB harness: a server from the cached template, rows that survive kill -9 and a
 * clean stop, and a binlog in ROW format with full row images (what the binlog source relies on).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbInstance } from './harness/mariadb.ts';
import { parseJdbcUrl } from '../src/domain/jdbc-url.ts';

let db: MariaDbInstance;

before(async () => { db = await startMariaDb(); });
after(async () => { await db?.destroy(); });

const ROWS = 500;

async function binlogEventTypes(): Promise<Set<string>> {
  const types = new Set<string>();
  const logs = await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS');
  for (const { Log_name } of logs) {
    for (const e of await db.query<{ Event_type: string }[]>(`SHOW BINLOG EVENTS IN '${Log_name}'`)) types.add(e.Event_type);
  }
  return types;
}

test('committed rows survive kill -9 and a clean stop; the binlog is ROW format with full images', async () => {
  assert.deepEqual(parseJdbcUrl(db.jdbcUrl('h_src')), { kind: 'mysql', host: '127.0.0.1', port: db.port, database: 'h_src', params: {} });
  await db.createDatabase('h_src');
  await db.query(`CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(30,10), at DATETIME(6))`, [], 'h_src');
  const values = Array.from({ length: ROWS }, (_, i) => [i + 1, `item ${i + 1} 😀`, `${i}.0123456789`, '2024-02-29 23:59:59.123456']);
  await db.query('INSERT INTO items VALUES ?', [values.slice(0, ROWS / 2)], 'h_src');
  await db.query('INSERT INTO items VALUES ?', [values.slice(ROWS / 2)], 'h_src');
  await db.query(`UPDATE items SET name = CONCAT(name, '!') WHERE id <= 10`, [], 'h_src');
  await db.query(`DELETE FROM items WHERE id > ${ROWS - 5}`, [], 'h_src');

  const vars = await db.query<{ Variable_name: string; Value: string }[]>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'server_id', 'binlog_checksum')`);
  assert.deepEqual(Object.fromEntries(vars.map((v) => [v.Variable_name, v.Value])), {
    binlog_checksum: 'CRC32', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL', log_bin: 'ON', server_id: '1',
  });

  await db.kill();
  await assert.rejects(db.query('SELECT 1'));
  await db.start();
  const check = async () => {
    const [r] = await db.query<{ n: string; bangs: string; price: string; at: string; name: string }[]>(
      `SELECT COUNT(*) AS n, SUM(name LIKE '%!') AS bangs, MAX(price) AS price, MIN(at) AS at,
              (SELECT name FROM items WHERE id = 7) AS name FROM items`, [], 'h_src');
    assert.deepEqual({ ...r }, { n: String(ROWS - 5), bangs: '10', price: `${ROWS - 6}.0123456789`, at: '2024-02-29 23:59:59.123456', name: 'item 7 😀!' });
  };
  await check();

  // A clean stop and start on the same dir and port.
  await db.stop();
  await db.start();
  await check();

  const types = await binlogEventTypes();
  for (const t of ['Gtid', 'Table_map', 'Write_rows_v1', 'Update_rows_v1', 'Delete_rows_v1', 'Xid']) assert.ok(types.has(t), `binlog has ${t} events (has ${[...types].join(', ')})`);
  // ROW format: the DML itself is never logged as a statement.
  const events = await db.query<{ Event_type: string; Info: string }[]>(`SHOW BINLOG EVENTS IN 'mysql-bin.000001'`);
  const dml = events.filter((e) => e.Event_type === 'Query' && /^\s*(insert|update|delete)\b/i.test(e.Info));
  assert.deepEqual(dml, [], 'no DML logged as statements');
});
