/**
 * What the engine-level PostgreSQL pipeline tests share: fresh source/target databases per test on
 * a private server, a PipelineSpec for them, launching a pipeline and waiting until it streams,
 * table digests, and a target-side audit trigger that counts every applied row image (ENABLE
 * ALWAYS, so it fires under session_replication_role=replica): a replayed transaction would show
 * up as extra audit rows.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import type { PgInstance } from './postgres.ts';
import { DEFAULT_DDL_MARKS } from '../../src/domain/start-param.ts';
import { Pipeline, type EngineEvent, type PipelineSpec } from '../../src/engine/pipeline.ts';
import { createLogger } from '../../src/logger.ts';

export { waitUntil as eventually } from './realtime-scenario.ts';

export const logger = createLogger(process.env.OPENDI_TEST_LOG === '1' ? 'info' : 'silent');

export interface Ctx { src: string; dst: string; taskId: number; slot: string; target: PgInstance }

export interface SpecOptions {
  resourcesCreated?: boolean; batch?: PipelineSpec['batch']; initialLoad?: boolean;
  ddlMarks?: Partial<PipelineSpec['ddlMarks']>; source?: Partial<Extract<PipelineSpec['source'], { kind: 'postgresql' }>>;
}

/** The target table created ahead, with an audit trigger that counts every applied row image. */
export function auditedTargetDdl(table: string, columns: string): string {
  return `
  CREATE TABLE ${table} (${columns});
  CREATE TABLE IF NOT EXISTS audit (n bigserial PRIMARY KEY, tbl text NOT NULL, id bigint NOT NULL, op text NOT NULL);
  CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO audit (tbl, id, op) VALUES (TG_TABLE_NAME, NEW.id, TG_OP); RETURN NEW; END $$;
  CREATE TRIGGER audit_${table} AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_row();
  ALTER TABLE ${table} ENABLE ALWAYS TRIGGER audit_${table};`;
}

export class PgPipelineEnv {
  private seq = 0;
  private readonly launched: Pipeline[] = [];

  constructor(readonly pgi: PgInstance, private readonly prefix: string, private readonly firstTaskId: number) {}

  /** Fresh source and target databases; `ddl` runs in the source. */
  async fresh(ddl: string, target: PgInstance = this.pgi): Promise<Ctx> {
    const n = ++this.seq;
    const ctx = { src: `${this.prefix}src_${n}`, dst: `${this.prefix}dst_${n}`, taskId: this.firstTaskId + n, slot: `opendi_${this.prefix}test_${n}`, target };
    await this.pgi.createDatabase(ctx.src);
    await target.createDatabase(ctx.dst);
    await this.sql(ctx.src, ddl);
    return ctx;
  }

  spec(ctx: Ctx, fence: number, tables: string[], o: SpecOptions = {}): PipelineSpec {
    const ep = (database: string, i: PgInstance) => ({ host: i.host, port: i.port, database, user: i.user });
    return {
      taskId: ctx.taskId, fence,
      source: {
        kind: 'postgresql', endpoint: ep(ctx.src, this.pgi), slotName: ctx.slot, publicationName: ctx.slot,
        tables: tables.map((t) => ({ schema: 'public', table: t })), resourcesCreated: o.resourcesCreated ?? false, ...o.source,
      },
      target: { kind: 'postgresql', endpoint: ep(ctx.dst, ctx.target), schema: null, installationId: 'test-installation' },
      initialLoad: o.initialLoad ?? false, errorLimit: 0, ddlMarks: { ...DEFAULT_DDL_MARKS, ...o.ddlMarks },
      batch: o.batch,
    };
  }

  async sql(database: string, text: string, params?: unknown[], inst: PgInstance = this.pgi): Promise<pg.QueryResultRow[]> {
    return (await inst.query(text, params, database)).rows;
  }

  /** Runs in the target database of `ctx`, wherever it lives. */
  async tsql(ctx: Ctx, text: string, params?: unknown[]): Promise<pg.QueryResultRow[]> {
    return this.sql(ctx.dst, text, params, ctx.target);
  }

  /** Starts a pipeline; resolves once it streams. `done` settles when run() does; `events` collects its engine events. */
  async launch(s: PipelineSpec, on: { onResourcesCreated?: () => void } = {}) {
    let streaming!: () => void;
    const started = new Promise<void>((r) => { streaming = r; });
    const events: EngineEvent[] = [];
    const alerts: string[] = [];
    const p = new Pipeline(s, {
      onStreaming: streaming, onResourcesCreated: on.onResourcesCreated, onEvent: (e) => events.push(e), onAlert: (a) => alerts.push(a.message),
    }, logger);
    this.launched.push(p);
    const done = p.run();
    done.catch(() => undefined);
    await Promise.race([started, done]);
    return { p, done, events, alerts };
  }

  /** Stops whatever a failed test left streaming. */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.launched.splice(0).map((p) => p.stop(2_000)));
  }

  async digest(database: string, table: string, inst: PgInstance = this.pgi): Promise<{ n: number; md5: string }> {
    const r = (await this.sql(database, `SELECT count(*)::int AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS md5 FROM ${table} t`, [], inst))[0];
    return { n: r.n, md5: r.md5 };
  }

  async waitEqual(ctx: Ctx, table: string, timeoutMs = 30_000): Promise<{ n: number; md5: string }> {
    const deadline = Date.now() + timeoutMs;
    let a, b;
    for (;;) {
      try {
        [a, b] = await Promise.all([this.digest(ctx.src, table), this.digest(ctx.dst, table, ctx.target)]);
        if (a.n === b.n && a.md5 === b.md5) return a;
      } catch { /* target table not created yet */ }
      if (Date.now() > deadline) throw new Error(`${table}: target did not converge (source ${a?.n} rows, target ${b?.n} rows)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Target equals source for `table`, and every source row was applied exactly once (audit trigger of auditedTargetDdl). */
  async assertExactlyOnce(ctx: Ctx, table: string): Promise<void> {
    const { n } = await this.waitEqual(ctx, table);
    const audit = (await this.tsql(ctx,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE op <> 'INSERT')::int AS reapplied FROM audit WHERE tbl = $1`, [table]))[0];
    assert.equal(audit.reapplied, 0, `${table}: no source row was applied twice`);
    assert.equal(audit.n, n, `${table}: every source row applied exactly once`);
  }

  /** The pids of the sessions of OpenDI in the task's target database that wait on a lock right now. */
  async lockWaiters(ctx: Ctx): Promise<number[]> {
    return (await this.tsql(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'opendi%' AND wait_event_type = 'Lock'`,
      [ctx.dst])).map((r) => r.pid as number);
  }

  /**
   * Runs `during` while a session of the test holds `table` of the task's target (LOCK TABLE in
   * `mode`): the sink's writes to it wait. That session then rolls back and closes, whatever `during` did.
   */
  async holdingTable<T>(ctx: Ctx, table: string, during: () => Promise<T>, mode = 'ACCESS EXCLUSIVE'): Promise<T> {
    const holder = new pg.Client(ctx.target.connectionConfig(ctx.dst));
    await holder.connect();
    try {
      await holder.query(`BEGIN; LOCK TABLE ${table} IN ${mode} MODE`);
      return await during();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  }

  async walsenders(ctx: Ctx): Promise<number> {
    return (await this.sql('postgres', `SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name LIKE $1`, [`opendi:task-${ctx.taskId}:%`]))[0].n;
  }

  async slots(ctx: Ctx): Promise<number> {
    return (await this.sql('postgres', `SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1`, [ctx.slot]))[0].n;
  }

  /** Cuts every connection of the task's pipelines at once (walsender, source control, target): a crash. */
  async cutConnections(ctx: Ctx): Promise<void> {
    await this.sql('postgres', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ($1, $2) AND pid <> pg_backend_pid()
      AND backend_type IN ('walsender', 'client backend') AND application_name LIKE $3`, [ctx.src, ctx.dst, `opendi:task-${ctx.taskId}:%`]);
  }
}
