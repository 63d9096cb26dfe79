/**
 * The checkpoint protocol in MySQL/MariaDB (docs/target-checkpoint.md): opendi_sync_checkpoint
 * (installation_id, task_id, position, fence) and opendi_dirty_record in the target data source's
 * database. `claim` raises the fence under a row lock (SELECT ... FOR UPDATE; two first claims
 * racing on the insert: the loser sees a duplicate and looks again); `write` locks the row, which
 * waits for a concurrent claim, and writes the position only while the fence is still ours.
 *
 * Lock waits are bounded by the session (session.ts pins innodb_lock_wait_timeout for row locks and
 * lock_wait_timeout for metadata locks: a LOCK TABLES or a pending ALTER by someone else); a wait that
 * ends (ER_LOCK_WAIT_TIMEOUT) becomes a retryable error naming the checkpoint table.
 */
import type { CheckpointStore, Owner, StoredDirtyRecord } from '../sink-dialect.ts';
import { LOCK_WAIT_SECONDS, type MySqlSession } from './session.ts';
import { qualified } from './sql.ts';

const CHECKPOINT = 'opendi_sync_checkpoint';
const DIRTY = 'opendi_dirty_record';
const LANE = 'opendi_sync_lane';
const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** ER_TABLE_EXISTS_ERROR, ER_DUP_FIELDNAME, ER_DUP_KEYNAME, ER_CANT_DROP_FIELD_OR_KEY, ER_MULTIPLE_PRI_KEY: another session got there first. */
const RACED = new Set([1050, 1060, 1061, 1091, 1068]);

async function rows<T>(s: MySqlSession, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await s.conn.query(sql, params);
  return r as T[];
}

/** ER_LOCK_WAIT_TIMEOUT: innodb_lock_wait_timeout (row) or lock_wait_timeout (metadata) expired. */
const LOCK_WAIT_TIMEOUT = 1205;

/** `work` on `table`: a lock wait timeout becomes an error naming the table (errno kept: still retryable). */
async function named<R>(table: string, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (err) {
    if ((err as { errno?: number }).errno !== LOCK_WAIT_TIMEOUT) throw err;
    throw Object.assign(new Error(`the checkpoint table ${table.replace(/`/g, '')} stayed locked by another session `
      + '(lock_wait_timeout / innodb_lock_wait_timeout expired); the task retries (end that session or its transaction if it is a stray one)',
    { cause: err }), { errno: LOCK_WAIT_TIMEOUT });
  }
}

/**
 * `work` with row lock waits bounded by `ms` (innodb_lock_wait_timeout counts whole seconds, at
 * least 1), then the session's usual bound again; absent: the session's bound as it is.
 */
async function withRowLockWait<R>(s: MySqlSession, ms: number | undefined, work: () => Promise<R>): Promise<R> {
  if (ms === undefined) return work();
  await s.conn.query(`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(ms / 1000))}`);
  try {
    return await work();
  } finally {
    await s.conn.query(`SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
  }
}

async function tolerant(s: MySqlSession, sql: string, params: unknown[] = []): Promise<void> {
  try {
    await s.conn.query(sql, params);
  } catch (err) {
    if (!RACED.has((err as { errno?: number }).errno ?? 0)) throw err;
  }
}

export function mysqlCheckpoint(database: string): CheckpointStore<MySqlSession> {
  const cp = qualified(database, CHECKPOINT);
  const dirty = qualified(database, DIRTY);
  const lanes = qualified(database, LANE);

  /** table name -> keyed by installation already. */
  const layout = async (s: MySqlSession) => new Map((await rows<{ t: string; keyed: number | string }>(s,
    `SELECT t.TABLE_NAME AS t, EXISTS (SELECT 1 FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA
            AND c.TABLE_NAME = t.TABLE_NAME AND c.COLUMN_NAME = 'installation_id') AS keyed
       FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME IN (?, ?, ?)`, [database, CHECKPOINT, DIRTY, LANE]))
    .map((r) => [r.t, Number(r.keyed) === 1]));

  /**
   * The layout keyed by task only gets installation_id in place; its rows go to the installation
   * that upgrades first (docs/target-checkpoint.md). MySQL DDL is not transactional: every step is
   * idempotent and tolerates a concurrent upgrader.
   */
  const migrate = async (s: MySqlSession, owner: Owner, found: Map<string, boolean>) => {
    if (found.get(CHECKPOINT) === false) {
      await tolerant(s, `ALTER TABLE ${cp} ADD COLUMN installation_id VARCHAR(64) NULL FIRST`);
      await s.conn.query(`UPDATE ${cp} SET installation_id = ? WHERE installation_id IS NULL`, [owner.installationId]);
      const pk = await rows<{ c: string }>(s, `SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, [database, CHECKPOINT]);
      if (pk.map((r) => r.c).join(',') !== 'installation_id,task_id') {
        await tolerant(s, `ALTER TABLE ${cp} MODIFY installation_id VARCHAR(64) NOT NULL, DROP PRIMARY KEY, ADD PRIMARY KEY (installation_id, task_id)`);
      }
    }
    if (found.get(DIRTY) === false) {
      await tolerant(s, `ALTER TABLE ${dirty} ADD COLUMN installation_id VARCHAR(64) NULL AFTER id`);
      await s.conn.query(`UPDATE ${dirty} SET installation_id = ? WHERE installation_id IS NULL`, [owner.installationId]);
      await s.conn.query(`ALTER TABLE ${dirty} MODIFY installation_id VARCHAR(64) NOT NULL`);
      await tolerant(s, `ALTER TABLE ${dirty} ADD KEY opendi_dirty_record_owner (installation_id, task_id)`);
      await tolerant(s, `ALTER TABLE ${dirty} DROP KEY opendi_dirty_record_task`);
    }
  };

  return {
    dirtyTable: dirty.replace(/`/g, ''),

    async ensureTables(s, owner) {
      const found = await layout(s);
      if (found.size === 3 && [...found.values()].every(Boolean)) return;
      await migrate(s, owner, found);
      await tolerant(s, `CREATE TABLE IF NOT EXISTS ${cp} (
        installation_id VARCHAR(64) NOT NULL, task_id BIGINT NOT NULL, position TEXT NULL, fence BIGINT NOT NULL, updated_at DATETIME(6) NULL,
        PRIMARY KEY (installation_id, task_id)) ${TABLE_OPTIONS}`);
      await tolerant(s, `CREATE TABLE IF NOT EXISTS ${dirty} (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, installation_id VARCHAR(64) NOT NULL, task_id BIGINT NOT NULL, recorded_at DATETIME(6) NOT NULL,
        table_name VARCHAR(512) NOT NULL, op VARCHAR(8) NOT NULL, row_key TEXT NOT NULL, row_values LONGTEXT NULL, error TEXT NOT NULL,
        KEY opendi_dirty_record_owner (installation_id, task_id)) ${TABLE_OPTIONS}`);
      await tolerant(s, `CREATE TABLE IF NOT EXISTS ${lanes} (
        installation_id VARCHAR(64) NOT NULL, task_id BIGINT NOT NULL, lane INT NOT NULL, position TEXT NULL, updated_at DATETIME(6) NULL,
        PRIMARY KEY (installation_id, task_id, lane)) ${TABLE_OPTIONS}`);
    },

    claim: (s, owner, fence, lockWaitMs) => named(cp, () => withRowLockWait(s, lockWaitMs, async () => {
      const key = [owner.installationId, owner.taskId];
      for (let attempt = 0; ; attempt++) {
        await s.conn.query('START TRANSACTION');
        try {
          const [row] = await rows<{ fence: string; position: string | null }>(s,
            `SELECT fence, position FROM ${cp} WHERE installation_id = ? AND task_id = ? FOR UPDATE`, key);
          if (row && Number(row.fence) >= fence) {
            await s.conn.query('ROLLBACK');
            return 'fenced';
          }
          if (row) await s.conn.query(`UPDATE ${cp} SET fence = ?, updated_at = UTC_TIMESTAMP(6) WHERE installation_id = ? AND task_id = ?`, [fence, ...key]);
          else await s.conn.query(`INSERT INTO ${cp} (installation_id, task_id, position, fence, updated_at) VALUES (?, ?, NULL, ?, UTC_TIMESTAMP(6))`, [...key, fence]);
          const [count] = await rows<{ n: string }>(s, `SELECT COUNT(*) AS n FROM ${dirty} WHERE installation_id = ? AND task_id = ?`, key);
          await s.conn.query('COMMIT');
          return { position: row?.position ?? null, dirtyRecords: Number(count.n) };
        } catch (err) {
          await s.conn.query('ROLLBACK').catch(() => undefined);
          // Two owners inserting the first row at once: the loser sees a duplicate and looks again.
          if ((err as { errno?: number }).errno === 1062 && attempt < 3) continue;
          throw err;
        }
      }
    })),

    write: (s, owner, fence, position) => named(cp, async () => {
      const key = [owner.installationId, owner.taskId];
      const [row] = await rows<{ fence: string }>(s, `SELECT fence FROM ${cp} WHERE installation_id = ? AND task_id = ? FOR UPDATE`, key);
      if (!row || Number(row.fence) !== fence) return false;
      await s.conn.query(`UPDATE ${cp} SET position = ?, updated_at = UTC_TIMESTAMP(6) WHERE installation_id = ? AND task_id = ?`, [position, ...key]);
      return true;
    }),

    writeLane: (s, owner, fence, lane, position) => named(cp, async () => {
      const key = [owner.installationId, owner.taskId];
      // A shared lock: lanes do not wait for each other; a claim (FOR UPDATE) waits for them and they for it.
      const [row] = await rows<{ fence: string }>(s, `SELECT fence FROM ${cp} WHERE installation_id = ? AND task_id = ? LOCK IN SHARE MODE`, key);
      if (!row || Number(row.fence) !== fence) return false;
      await s.conn.query(`INSERT INTO ${lanes} (installation_id, task_id, lane, position, updated_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
        ON DUPLICATE KEY UPDATE position = VALUES(position), updated_at = VALUES(updated_at)`, [...key, lane, position]);
      return true;
    }),

    async lanePositions(s, owner) {
      const found = await rows<{ lane: number; position: string | null }>(s,
        `SELECT lane, position FROM ${lanes} WHERE installation_id = ? AND task_id = ?`, [owner.installationId, owner.taskId]);
      return new Map(found.map((r) => [Number(r.lane), r.position]));
    },

    async dropLanes(s, owner, from) {
      await s.conn.query(`DELETE FROM ${lanes} WHERE installation_id = ? AND task_id = ? AND lane >= ?`, [owner.installationId, owner.taskId, from]);
    },

    insertDirty: (s, owner, { record, values }: StoredDirtyRecord) => named(dirty, async () => {
      await s.conn.query(
        `INSERT INTO ${dirty} (installation_id, task_id, recorded_at, table_name, op, row_key, row_values, error) VALUES (?, ?, UTC_TIMESTAMP(6), ?, ?, ?, ?, ?)`,
        [owner.installationId, owner.taskId, record.table, record.op, record.key, values, record.error]);
    }),

    async fenceOf(s, owner) {
      await s.conn.query('START TRANSACTION');
      try {
        const [row] = await rows<{ fence: string }>(s, `SELECT fence FROM ${cp} WHERE installation_id = ? AND task_id = ? FOR UPDATE`, [owner.installationId, owner.taskId]);
        await s.conn.query('COMMIT');
        return row ? Number(row.fence) : null;
      } catch (err) {
        await s.conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },

    async discard(s, owner, tombstone) {
      const found = await layout(s);
      if (found.size === 0) return;
      await migrate(s, owner, found);
      await s.conn.query('START TRANSACTION');
      await named(cp, async () => {
        for (const table of found.keys()) {
          if (table === CHECKPOINT && tombstone !== undefined) {
            await s.conn.query(
              `INSERT INTO ${cp} (installation_id, task_id, position, fence, updated_at) VALUES (?, ?, NULL, ?, UTC_TIMESTAMP(6))
               ON DUPLICATE KEY UPDATE position = NULL, fence = GREATEST(fence, VALUES(fence)), updated_at = UTC_TIMESTAMP(6)`,
              [owner.installationId, owner.taskId, tombstone]);
            continue;
          }
          await s.conn.query(`DELETE FROM ${qualified(database, table)} WHERE installation_id = ? AND task_id = ?`, [owner.installationId, owner.taskId]);
        }
        await s.conn.query('COMMIT');
      }).catch(async (err: unknown) => {
        await s.conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      });
    },
  };
}
