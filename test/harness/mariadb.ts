/**
 * Private MariaDB instances for tests: mariadb-install-db once per process into a template, copied
 * per instance into a fresh temp dir; a free port on 127.0.0.1; the binlog on in ROW format with
 * full row images and full row metadata (what the binlog source needs). root has an empty password
 * and may log in over TCP from 127.0.0.1. mariadbd is started as root with --user=mysql (it drops
 * to that user itself, so the spawned process IS the server) and can be stopped, SIGKILLed and
 * started again on the same data dir and port. `replicate(primary)` makes one a GTID replica of another.
 *
 * Needs `mysql2` (a dependency of /work/main for the MySQL source/sink).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { chownTo, copyTemplate, freePort, templateDir, trackServer, untrackServer } from './private-server.ts';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd', '/usr/local/bin/mariadbd'].find((p) => fs.existsSync(p)) ?? 'mariadbd';
const asRoot = process.getuid?.() === 0;




/**
 * A private tmpdir: the server's temporary tables and files must not meet those of servers other
 * test processes run at the same time (a shared /tmp made mariadb-install-db fail now and then).
 */
function privateTmp(dir: string): string {
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  chownTo('mysql', tmp);
  return tmp;
}

function ensureTemplate(): string {
  return templateDir('opendi-mdb', 'mysql', (dir) => {
    const args = ['--no-defaults', `--datadir=${path.join(dir, 'data')}`, `--tmpdir=${privateTmp(dir)}`, '--auth-root-authentication-method=normal',
      '--skip-test-db', '--skip-name-resolve'];
    if (asRoot) args.push('--user=mysql');
    execFileSync('mariadb-install-db', args, { stdio: 'pipe' });
  });
}

/**
 * Server options, passed as `--key=value` (an empty value passes a bare `--key`). `log_bin` is a
 * base name inside the data dir, so binlog files are `mysql-bin.000001`, ...
 */
export const DEFAULT_SETTINGS: Record<string, string> = {
  log_bin: 'mysql-bin', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_metadata: 'FULL',
  server_id: '1', innodb_flush_log_at_trx_commit: '2', sync_binlog: '0', 'skip-name-resolve': '',
  // MariaDB 10.11 still defaults to latin1; the tests want 4-byte UTF-8 unless they say otherwise.
  character_set_server: 'utf8mb4', collation_server: 'utf8mb4_general_ci',
  max_connections: '200', max_allowed_packet: '64M',
};

export class MariaDbInstance {
  readonly host = '127.0.0.1';
  readonly user = 'root';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly dir: string, readonly port: number, private readonly settings: Record<string, string>) {}

  get dataDir(): string { return path.join(this.dir, 'data'); }
  get errorLogFile(): string { return path.join(this.dir, 'mariadbd.err'); }

  /** Options for mysql2's createConnection: values come back as exact strings (dates, DECIMAL, BIGINT). */
  connectionConfig(database?: string): mysql.ConnectionOptions {
    return {
      host: this.host, port: this.port, user: this.user, password: '', database,
      charset: 'utf8mb4_general_ci', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true,
    };
  }

  /** The JDBC URL for a data source; the URL form requires a database, so it defaults to `mysql`. */
  jdbcUrl(database = 'mysql'): string {
    return `jdbc:mysql://${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** One statement on a short-lived connection; resolves to the rows (SELECT) or the result header (DML/DDL). */
  async query<T = any>(sql: string, params?: unknown[], database?: string): Promise<T> {
    const c = await mysql.createConnection(this.connectionConfig(database));
    try { const [rows] = await c.query(sql, params); return rows as T; } finally { await c.end().catch(() => c.destroy()); }
  }

  async createDatabase(name: string): Promise<void> {
    await this.query(`CREATE DATABASE \`${name.replace(/`/g, '``')}\` CHARACTER SET utf8mb4`);
  }

  get running(): boolean {
    const c = this.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = ['--no-defaults', `--datadir=${this.dataDir}`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${path.join(this.dir, 'mariadbd.sock')}`, `--pid-file=${path.join(this.dir, 'mariadbd.pid')}`,
      `--log-error=${this.errorLogFile}`, `--tmpdir=${privateTmp(this.dir)}`];
    if (asRoot) args.push('--user=mysql');
    for (const [k, v] of Object.entries(this.settings)) args.push(v === '' ? `--${k}` : `--${k}=${v}`);
    const logStart = fs.existsSync(this.errorLogFile) ? fs.statSync(this.errorLogFile).size : 0;
    const child = spawn(MARIADBD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-5_000); });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const log = () => `${stderr}${this.readLog(logStart)}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!this.running) throw new Error(`mariadbd exited during start (${child.exitCode ?? child.signalCode}):\n${log()}`);
      let datadir: string | undefined;
      try { datadir = (await this.query<{ d: string }[]>('SELECT @@datadir AS d'))[0].d; } catch { /* not up yet */ }
      if (datadir !== undefined) {
        if (path.resolve(datadir) !== path.resolve(this.dataDir)) throw new Error(`port ${this.port} is answered by another server (datadir ${datadir})`);
        return;
      }
      if (Date.now() > deadline) { this.killSync(); throw new Error(`mariadbd did not start within 30 s:\n${log()}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Clean shutdown (SIGTERM): InnoDB and the binlog are closed properly; waits for the exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 60_000);
    try { await this.exited; } finally { clearTimeout(timer); }
  }

  /** SIGKILL: a crash. Committed transactions survive (innodb_flush_log_at_trx_commit=2 writes to the OS at commit). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  killSync(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  async destroy(): Promise<void> {
    await this.stop();
    untrackServer(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Makes this server a replica of `primary` by GTID (CHANGE MASTER .. MASTER_USE_GTID=slave_pos,
   * START SLAVE) and waits until its IO thread runs. Start it with its own server_id and
   * log_slave_updates, so that its binlog holds the primary's transactions under their GTIDs.
   */
  async replicate(primary: MariaDbInstance): Promise<void> {
    await this.query(`CHANGE MASTER TO MASTER_HOST = '${primary.host}', MASTER_PORT = ${primary.port}, MASTER_USER = '${primary.user}', `
      + `MASTER_PASSWORD = '', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1`);
    await this.query('START SLAVE');
    for (const deadline = Date.now() + 30_000; ;) {
      const [st] = await this.query<{ Slave_IO_Running: string; Last_IO_Error: string }[]>('SHOW SLAVE STATUS');
      if (st?.Slave_IO_Running === 'Yes') return;
      if (Date.now() > deadline) throw new Error(`replication did not start: ${st?.Last_IO_Error}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until this replica has applied everything `primary` has logged (GTID positions equal). */
  async caughtUpWith(primary: MariaDbInstance): Promise<void> {
    const [{ g }] = await primary.query<{ g: string }[]>('SELECT @@gtid_binlog_pos AS g');
    for (const deadline = Date.now() + 30_000; ;) {
      const [{ s }] = await this.query<{ s: string }[]>('SELECT @@gtid_slave_pos AS s');
      if (s === g) return;
      if (Date.now() > deadline) throw new Error(`the replica stayed at ${s}, the primary is at ${g}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private readLog(from: number): string {
    try { return fs.readFileSync(this.errorLogFile).subarray(from).toString().slice(-10_000); } catch { return ''; }
  }
}

export async function startMariaDb(opts: { settings?: Record<string, string> } = {}): Promise<MariaDbInstance> {
  const dir = copyTemplate(ensureTemplate(), 'opendi-mdb', 'mysql');
  const inst = new MariaDbInstance(dir, await freePort(), { ...DEFAULT_SETTINGS, ...opts.settings });
  trackServer(inst);
  await inst.start();
  return inst;
}
