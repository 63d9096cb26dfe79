/**
 * TestDataSourceConnectivity (2024) and TestNetworkConnection (2020): can the engine use this data
 * source as a real-time source? Step by step (README, "The 2024-05-18 DI Job API"; the step codes
 * beyond validate_input_parameters are OpenDI's):
 *   validate_input_parameters  the stored connection is complete;
 *   connect                    the host resolves and the port accepts TCP within 10 s;
 *   authenticate               the database accepts the user, password and database name;
 *   check_privileges           PostgreSQL: wal_level=logical, a role with REPLICATION (or
 *                              superuser) and CREATE on the database (publications);
 *                              MySQL/MariaDB: log_bin on, binlog_format=ROW, binlog_row_image=FULL,
 *                              grants REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: BINLOG MONITOR).
 * ConnectState: Connectable; Unreachable (DNS, TCP, TLS, timeouts); ConfigError (reachable, but the
 * credentials, database or server settings are wrong; the message says what to change); Unsupport
 * (a type this engine cannot speak). Messages never carry the password. Every connection is
 * bounded and closed.
 */
import net from 'node:net';
import type pg from 'pg';
import type mysql from 'mysql2/promise';
import type { DbEndpoint } from '../../engine/endpoint.ts';
import type { EngineKind } from '../../domain/jdbc-url.ts';
import { withMySql, withPostgres } from '../di-job/database-session.ts';

export type ConnectState = 'Connectable' | 'ConfigError' | 'Unreachable' | 'Unsupport';
export interface ProbeStep { Code: string; Message: string; StartTime: number; EndTime: number }
export interface ProbeResult { state: ConnectState; message: string; steps: ProbeStep[] }

const CONNECT_TIMEOUT_MS = 10_000;

class StepFailure extends Error {
  constructor(readonly state: ConnectState, message: string) { super(message); }
}

export async function probeDataSource(kind: EngineKind | undefined, endpoint: DbEndpoint | string): Promise<ProbeResult> {
  const steps: ProbeStep[] = [];
  const step = async (code: string, run: () => Promise<string>): Promise<void> => {
    const start = Date.now();
    try {
      steps.push({ Code: code, Message: await run(), StartTime: start, EndTime: Date.now() });
    } catch (err) {
      const failure = err instanceof StepFailure ? err : new StepFailure('Unreachable', (err as Error).message);
      steps.push({ Code: code, Message: failure.message, StartTime: start, EndTime: Date.now() });
      throw failure;
    }
  };
  try {
    await step('validate_input_parameters', async () => {
      if (!kind) throw new StepFailure('Unsupport', 'this data source type is not one the engine can connect to (mysql, polardb, analyticdb_for_mysql, postgresql, hologres)');
      if (typeof endpoint === 'string') throw new StepFailure('ConfigError', `the connection settings are incomplete: ${endpoint}`);
      return 'the connection settings are complete';
    });
    const e = endpoint as DbEndpoint;
    await step('connect', () => reach(e));
    let privileges: string[] = [];
    await step('authenticate', async () => {
      try {
        privileges = kind === 'postgresql' ? await withPostgres(e, pgProblems) : await withMySql(e, mysqlProblems);
      } catch (err) {
        throw classify(kind!, err as Error & { code?: string; errno?: number });
      }
      return `logged in as ${e.user} to database ${e.database}`;
    });
    await step('check_privileges', async () => {
      if (privileges.length > 0) throw new StepFailure('ConfigError', `usable as a destination, but not as a real-time source: ${privileges.join('; ')}`);
      return kind === 'postgresql' ? 'wal_level is logical; the role may replicate and create publications'
        : 'the binlog is on in ROW format with full row images; the user may read it as a replica';
    });
    return { state: 'Connectable', message: '', steps };
  } catch (err) {
    const f = err as StepFailure;
    return { state: f.state, message: f.message, steps };
  }
}

function reach(e: DbEndpoint): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: e.host, port: e.port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(new StepFailure('Unreachable', `cannot reach ${e.host}:${e.port}: ${err.message}`));
      else resolve(`${e.host}:${e.port} accepts connections`);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}

/** Server answers that mean the configuration is wrong, by protocol; anything else counts as unreachable. */
function classify(kind: EngineKind, err: Error & { code?: string; errno?: number }): StepFailure {
  const configPg = ['28P01', '28000', '3D000', '42501'];
  const configMy = [1044, 1045, 1049, 1698, 1251];
  const config = kind === 'postgresql' ? configPg.includes(err.code ?? '') : configMy.includes(err.errno ?? -1);
  return new StepFailure(config ? 'ConfigError' : 'Unreachable', `the database refused the connection: ${err.message}`);
}

async function pgProblems(c: pg.Client): Promise<string[]> {
  const r = (await c.query(`SELECT current_setting('wal_level') AS wal,
      (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS repl,
      has_database_privilege(current_database(), 'CREATE') AS can_create`)).rows[0];
  const out: string[] = [];
  if (r.wal !== 'logical') out.push(`wal_level is ${r.wal}; set wal_level=logical and restart PostgreSQL`);
  if (!r.repl) out.push('the role has no REPLICATION attribute (ALTER ROLE ... REPLICATION)');
  if (!r.can_create) out.push('the role may not create publications in this database (GRANT CREATE ON DATABASE ...)');
  return out;
}

async function mysqlProblems(c: mysql.Connection): Promise<string[]> {
  const [vars] = await c.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image')`);
  const v = new Map((vars as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name.toLowerCase(), String(r.Value).toUpperCase()]));
  const out: string[] = [];
  if (v.get('log_bin') !== 'ON') out.push('the binary log is off (log_bin)');
  if (v.get('binlog_format') !== 'ROW') out.push(`binlog_format is ${v.get('binlog_format')}; set binlog_format=ROW`);
  if (v.has('binlog_row_image') && v.get('binlog_row_image') !== 'FULL') out.push(`binlog_row_image is ${v.get('binlog_row_image')}; set binlog_row_image=FULL`);
  const [grants] = await c.query('SHOW GRANTS');
  const text = (grants as Record<string, string>[]).map((g) => Object.values(g)[0]).join('\n').toUpperCase();
  const all = /GRANT ALL PRIVILEGES ON \*\.\*/.test(text);
  if (!all && !/REPLICATION (SLAVE|REPLICA)/.test(text)) out.push('the user lacks REPLICATION SLAVE (GRANT REPLICATION SLAVE ON *.* TO ...)');
  if (!all && !/REPLICATION CLIENT|BINLOG MONITOR|SUPER/.test(text)) out.push('the user lacks REPLICATION CLIENT (MariaDB: BINLOG MONITOR)');
  return out;
}
