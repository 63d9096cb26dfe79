/**
 * The checkpoint protocol in PostgreSQL (docs/target-checkpoint.md): opendi.sync_checkpoint
 * (installation_id, task_id, position, fence) and opendi.dirty_record. `claim` raises the fence
 * in one upsert that only succeeds while the stored fence is lower; `write` updates the row only
 * where the fence is still ours (under READ COMMITTED the UPDATE waits for a concurrent claim and
 * then re-checks the fence), so a stale owner's commit finds no row.
 *
 * Every statement that writes these tables waits for locks at most `lockTimeoutMs` (lock_timeout,
 * SET LOCAL: only that transaction): a stray session holding the checkpoint row or the table
 * (an idle-in-transaction psql, a LOCK TABLE) must not hang the task. The wait ends with a
 * retryable error naming the table and, where the session is free to ask, who holds it.
 */
import type pg from 'pg';
import type { CheckpointStore, Owner, StoredDirtyRecord } from '../sink-dialect.ts';
import { quoteIdent } from '../../postgres/connection.ts';

const CREATE_TABLES = `
  CREATE TABLE IF NOT EXISTS opendi.sync_checkpoint (
    installation_id text NOT NULL, task_id bigint NOT NULL, position text, fence bigint NOT NULL,
    updated_at timestamptz DEFAULT now(), PRIMARY KEY (installation_id, task_id));
  CREATE TABLE IF NOT EXISTS opendi.dirty_record (
    id bigserial PRIMARY KEY, installation_id text NOT NULL, task_id bigint NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    table_name text NOT NULL, op text NOT NULL, row_key text NOT NULL, row_values text, error text NOT NULL);
  CREATE INDEX IF NOT EXISTS dirty_record_owner ON opendi.dirty_record (installation_id, task_id);
  CREATE TABLE IF NOT EXISTS opendi.sync_lane (
    installation_id text NOT NULL, task_id bigint NOT NULL, lane int NOT NULL, position text,
    updated_at timestamptz DEFAULT now(), PRIMARY KEY (installation_id, task_id, lane))`;

/** Which tables exist and which of them still have the layout without installation_id. */
const LAYOUT = `
  SELECT to_regnamespace('opendi') IS NOT NULL AS schema,
         c.relname AS table, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'installation_id' AND NOT a.attisdropped) AS keyed
    FROM pg_class c WHERE c.relnamespace = to_regnamespace('opendi') AND c.relname IN ('sync_checkpoint', 'dirty_record', 'sync_lane')
  UNION ALL SELECT to_regnamespace('opendi') IS NOT NULL, NULL, NULL`;

interface Layout { schema: boolean; tables: Map<string, boolean> }

async function layout(c: pg.Client): Promise<Layout> {
  const rows = (await c.query(LAYOUT)).rows as { schema: boolean; table: string | null; keyed: boolean | null }[];
  return { schema: rows[0].schema, tables: new Map(rows.filter((r) => r.table !== null).map((r) => [r.table!, r.keyed!])) };
}

/** How long a checkpoint statement waits for a lock held by another session: far above a claim or a commit of ours. */
export const CHECKPOINT_LOCK_TIMEOUT_MS = 30_000;

/** lock_not_available (PostgreSQL docs, Appendix A): lock_timeout expired. */
const LOCK_TIMEOUT = '55P03';

/** SQLSTATEs of two sessions creating the same object at once (42710: the table's row type, created first): both are fine. */
const RACED = new Set(['23505', '42P06', '42P07', '42710']);

export function postgresCheckpoint(database: string, lockTimeoutMs = CHECKPOINT_LOCK_TIMEOUT_MS): CheckpointStore<pg.Client> {
  const boundOf = (ms: number) => `SET LOCAL lock_timeout = ${Math.max(1, Math.floor(ms))}`;
  const bound = boundOf(lockTimeoutMs);
  /**
   * `work` on `table`; a lock timeout (after `ms`) becomes an error naming the table and what `held`
   * says of the holder. Inside the sink's open transaction, which a lock timeout aborts, there is nobody to ask.
   */
  const bounded = async <R>(table: string, work: () => Promise<R>, held: () => Promise<string> = async () => '', ms = lockTimeoutMs): Promise<R> => {
    try {
      return await work();
    } catch (err) {
      if ((err as { code?: unknown }).code !== LOCK_TIMEOUT) throw err;
      throw lockTimedOut(err, table, database, ms, await held());
    }
  };
  /** Work in a transaction of its own under the lock bound (`ms`); a lock timeout names who holds `table`. */
  const transaction = <R>(c: pg.Client, table: string, work: () => Promise<R>, ms = lockTimeoutMs): Promise<R> =>
    bounded(table, () => inTransaction(c, boundOf(ms), work), () => holders(c, table), ms);
  /**
   * The bound and a statement in one round trip (the commit's path): simple query protocol, so the
   * statement carries its values as literals (checkpointLiteral); the statement's result is the last.
   */
  const boundedQuery = async (c: pg.Client, sql: string): Promise<pg.QueryResult> => {
    const results = await c.query(`${bound}; ${sql}`) as unknown as pg.QueryResult[];
    return results[results.length - 1];
  };
  return {
    dirtyTable: `opendi.dirty_record in database ${quoteIdent(database)}`,

    async ensureTables(c, owner) {
      let found = await layout(c);
      if (found.tables.size === 3 && [...found.tables.values()].every(Boolean)) return;
      if ([...found.tables.values()].some((keyed) => !keyed)) await migrate(c, owner);
      for (let attempt = 0; ; attempt++) {
        try {
          // Only when missing: CREATE SCHEMA needs CREATE on the database even with IF NOT EXISTS.
          if (!found.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS opendi`);
          await c.query(CREATE_TABLES);
          return;
        } catch (err) {
          if (attempt >= 3 || !RACED.has((err as { code?: string }).code ?? '')) throw err;
          found = await layout(c);
        }
      }
    },

    claim: (c, owner, fence, lockWaitMs) => transaction(c, 'opendi.sync_checkpoint', async () => {
      const r = await c.query(
        `INSERT INTO opendi.sync_checkpoint AS cp (installation_id, task_id, position, fence, updated_at) VALUES ($1, $2, NULL, $3, now())
         ON CONFLICT (installation_id, task_id) DO UPDATE SET fence = EXCLUDED.fence, updated_at = now() WHERE cp.fence < EXCLUDED.fence
         RETURNING position`, [owner.installationId, owner.taskId, fence]);
      if (r.rowCount !== 1) return 'fenced' as const;
      const dirty = await c.query(`SELECT count(*)::int AS n FROM opendi.dirty_record WHERE installation_id = $1 AND task_id = $2`, [owner.installationId, owner.taskId]);
      return { position: r.rows[0].position as string | null, dirtyRecords: dirty.rows[0].n as number };
    }, lockWaitMs),

    // The last statements of the sink's transaction before COMMIT: the bound stays for the rest of it.
    write: (c, owner, fence, position) => bounded('opendi.sync_checkpoint', async () => {
      const r = await boundedQuery(c, `UPDATE opendi.sync_checkpoint SET position = ${checkpointLiteral(position)}, updated_at = now()
        WHERE installation_id = ${checkpointLiteral(owner.installationId)} AND task_id = ${integer(owner.taskId)} AND fence = ${integer(fence)}`);
      return r.rowCount === 1;
    }),

    writeLane: (c, owner, fence, lane, position) => bounded('opendi.sync_checkpoint', async () => {
      // FOR SHARE: lanes do not wait for each other, a claim (UPDATE) waits for them and they for it;
      // under READ COMMITTED a lane that waited reads the claim's new fence.
      const r = await boundedQuery(c,
        `SELECT fence FROM opendi.sync_checkpoint WHERE installation_id = ${checkpointLiteral(owner.installationId)} AND task_id = ${integer(owner.taskId)} FOR SHARE`);
      if (r.rowCount !== 1 || Number(r.rows[0].fence) !== fence) return false;
      await c.query(
        `INSERT INTO opendi.sync_lane AS l (installation_id, task_id, lane, position, updated_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (installation_id, task_id, lane) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
        [owner.installationId, owner.taskId, lane, position]);
      return true;
    }),

    async lanePositions(c, owner) {
      const r = await c.query(`SELECT lane, position FROM opendi.sync_lane WHERE installation_id = $1 AND task_id = $2`, [owner.installationId, owner.taskId]);
      return new Map(r.rows.map((row: { lane: number; position: string | null }) => [row.lane, row.position]));
    },

    async dropLanes(c, owner, from) {
      await c.query(`DELETE FROM opendi.sync_lane WHERE installation_id = $1 AND task_id = $2 AND lane >= $3`, [owner.installationId, owner.taskId, from]);
    },

    // Mid-transaction: the session's own bound applies again after (postgres-dialect.ts ROW_LOCK_WAIT_MS).
    insertDirty: (c, owner, { record, values }: StoredDirtyRecord) => bounded('opendi.dirty_record', async () => {
      await c.query(bound);
      await c.query(
        `INSERT INTO opendi.dirty_record (installation_id, task_id, table_name, op, row_key, row_values, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [owner.installationId, owner.taskId, record.table, record.op, record.key, values, record.error]);
      await c.query('SET LOCAL lock_timeout TO DEFAULT');
    }),

    async discard(c, owner, tombstone) {
      const found = await layout(c);
      if (found.tables.size === 0) return;
      if ([...found.tables.values()].some((keyed) => !keyed)) await migrate(c, owner);
      await transaction(c, 'opendi.sync_checkpoint', async () => {
        for (const table of found.tables.keys()) {
          if (table === 'sync_checkpoint' && tombstone !== undefined) {
            await c.query(
              `INSERT INTO opendi.sync_checkpoint AS cp (installation_id, task_id, position, fence, updated_at) VALUES ($1, $2, NULL, $3, now())
               ON CONFLICT (installation_id, task_id) DO UPDATE SET position = NULL, fence = GREATEST(cp.fence, EXCLUDED.fence), updated_at = now()`,
              [owner.installationId, owner.taskId, tombstone]);
            continue;
          }
          await c.query(`DELETE FROM opendi.${table} WHERE installation_id = $1 AND task_id = $2`, [owner.installationId, owner.taskId]);
        }
      });
    },
  };
}

/**
 * Tables of the layout keyed by task only (before installations were told apart) get the
 * installation_id column in place; their rows go to the installation that upgrades first
 * (docs/target-checkpoint.md). One transaction under an exclusive lock: concurrent claims wait,
 * and a second upgrader finds the work done.
 */
async function migrate(c: pg.Client, owner: Owner): Promise<void> {
  await inTransaction(c, 'BEGIN', async () => {
    const found = await layout(c);
    const old = [...found.tables].filter(([, keyed]) => !keyed).map(([table]) => table);
    if (old.length === 0) return;
    await c.query(`LOCK TABLE ${old.map((t) => `opendi.${t}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
    const again = await layout(c);
    for (const table of old.filter((t) => again.tables.get(t) === false)) {
      await c.query(`ALTER TABLE opendi.${table} ADD COLUMN installation_id text`);
      await c.query(`UPDATE opendi.${table} SET installation_id = $1`, [owner.installationId]);
      await c.query(`ALTER TABLE opendi.${table} ALTER COLUMN installation_id SET NOT NULL`);
      if (table === 'sync_checkpoint') {
        await c.query(`ALTER TABLE opendi.sync_checkpoint DROP CONSTRAINT IF EXISTS sync_checkpoint_pkey, ADD PRIMARY KEY (installation_id, task_id)`);
      } else {
        await c.query(`DROP INDEX IF EXISTS opendi.dirty_record_task`);
        await c.query(`CREATE INDEX IF NOT EXISTS dirty_record_owner ON opendi.dirty_record (installation_id, task_id)`);
      }
    }
  });
}

/** `setup`: statements run after BEGIN in the same round trip (simple query protocol, no parameters). */
async function inTransaction<R>(c: pg.Client, setup: string, work: () => Promise<R>): Promise<R> {
  await c.query(setup === 'BEGIN' ? setup : `BEGIN; ${setup}`);
  try {
    const r = await work();
    await c.query('COMMIT');
    return r;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Sessions holding a lock on `table` now (pg_locks: a row lock shows as the holder's lock on the table), for the error. */
async function holders(c: pg.Client, table: string): Promise<string> {
  try {
    const r = await c.query(
      `SELECT DISTINCT a.pid, a.application_name, a.state, l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'relation' AND l.granted AND l.relation = to_regclass($1) AND l.pid <> pg_backend_pid() ORDER BY a.pid LIMIT 5`, [table]);
    if (r.rows.length === 0) return '';
    return `; held by ${r.rows.map((h: { pid: number; application_name: string; state: string | null; mode: string }) =>
      `pid ${h.pid} (${h.application_name ? `application '${h.application_name}', ` : ''}${h.state ?? 'no state'}, ${h.mode})`).join(', ')}`;
  } catch {
    return '';
  }
}

/**
 * A text value as a literal in an E'' string, whose meaning does not depend on
 * standard_conforming_strings (PostgreSQL docs, "String Constants with C-Style Escapes").
 */
function checkpointLiteral(v: string | null): string {
  return v === null ? 'NULL' : `E'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

function lockTimedOut(err: unknown, table: string, database: string, ms: number, held: string): Error {
  return Object.assign(new Error(
    `the checkpoint table ${table} in database ${quoteIdent(database)} stayed locked by another session for ${ms} ms${held}; `
    + 'the task retries (end that session or its transaction if it is a stray one)', { cause: err }), { code: LOCK_TIMEOUT });
}
