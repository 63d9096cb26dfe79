/**
 * Private PostgreSQL instances for tests: initdb once per process into a template, copied per
 * instance into a fresh temp dir; a free port on 127.0.0.1; logical replication on. The server
 * runs as the `postgres` OS user (initdb/postgres refuse root) and can be stopped, SIGKILLed and
 * started again on the same data dir. `startStandby()` clones a running instance with
 * pg_basebackup into a streaming standby that a test can promote (a failover).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { chownTo, copyTemplate, freePort, templateDir, trackServer, untrackServer } from './private-server.ts';

export { freePort } from './private-server.ts';

const BIN = execFileSync('pg_config', ['--bindir']).toString().trim();
const asRoot = process.getuid?.() === 0;


function runAsPostgres(cmd: string, args: string[]): void {
  if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}


function ensureTemplate(): string {
  return templateDir('opendi-pg', 'postgres', (dir) =>
    runAsPostgres(path.join(BIN, 'initdb'), ['-D', path.join(dir, 'data'), '--no-sync', '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C']));
}

export const DEFAULT_SETTINGS: Record<string, string> = {
  wal_level: 'logical', max_replication_slots: '20', max_wal_senders: '20', fsync: 'off',
  synchronous_commit: 'off', full_page_writes: 'off', shared_buffers: '128MB', max_connections: '200',
  wal_sender_timeout: '60s',
};

export class PgInstance {
  readonly host = '127.0.0.1';
  readonly user = 'postgres';
  readonly database = 'postgres';
  private child: ChildProcess | undefined;
  private log = '';

  constructor(readonly dir: string, readonly port: number, private readonly settings: Record<string, string>) {}

  get dataDir(): string { return path.join(this.dir, 'data'); }

  connectionConfig(database = this.database): pg.ClientConfig {
    return { host: this.host, port: this.port, user: this.user, database };
  }

  jdbcUrl(database = this.database): string {
    return `jdbc:postgresql://${this.host}:${this.port}/${database}`;
  }

  async query<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[], database = this.database): Promise<pg.QueryResult<R>> {
    const c = new pg.Client(this.connectionConfig(database));
    await c.connect();
    try { return await c.query<R>(sql, params as any[]); } finally { await c.end(); }
  }

  async createDatabase(name: string): Promise<void> {
    await this.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  }

  async start(): Promise<void> {
    const args = ['-D', this.dataDir, '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1'];
    for (const [k, v] of Object.entries(this.settings)) args.push('-c', `${k}=${v}`);
    const cmd = path.join(BIN, 'postgres');
    const child = asRoot ? spawn('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d) => { this.log = (this.log + d).slice(-20_000); });
    child.stdout!.on('data', () => undefined);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited during start:\n${this.log}`);
      let datadir: string | undefined;
      try { datadir = (await this.query('SHOW data_directory')).rows[0].data_directory; } catch { /* not up yet */ }
      if (datadir !== undefined) {
        if (path.resolve(datadir) !== path.resolve(this.dataDir)) throw new Error(`port ${this.port} is answered by another server (data_directory ${datadir})`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`postgres did not start within 30 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * A streaming standby of this instance (pg_basebackup -R: standby.signal and primary_conninfo),
   * started and caught up. Logical slots are not copied to it (PostgreSQL before 17).
   */
  async startStandby(): Promise<PgInstance> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-pg-standby-'));
    fs.chmodSync(dir, 0o755);
    chownTo('postgres', dir);
    runAsPostgres(path.join(BIN, 'pg_basebackup'), ['-D', path.join(dir, 'data'), '-h', this.host, '-p', String(this.port), '-U', this.user, '-X', 'stream', '-R', '--no-sync', '--checkpoint=fast']);
    const standby = new PgInstance(dir, await freePort(), this.settings);
    trackServer(standby);
    await standby.start();
    await this.waitReplayedBy(standby);
    return standby;
  }

  /** Until `standby` has replayed everything this instance has written so far. */
  async waitReplayedBy(standby: PgInstance, timeoutMs = 30_000): Promise<void> {
    const target = (await this.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn;
    const deadline = Date.now() + timeoutMs;
    while ((await standby.query(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done`, [target])).rows[0].done !== true) {
      if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${target} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Promotes a standby to a primary (pg_promote waits until it accepts writes). */
  async promote(): Promise<void> {
    await this.query(`SELECT pg_promote(true, 30)`);
  }

  /** The pid of the walsender streaming a slot (null when none), e.g. to freeze it with SIGSTOP. */
  async walsenderPid(slot: string): Promise<number | null> {
    return (await this.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [slot])).rows[0]?.active_pid ?? null;
  }

  /** Fast shutdown (SIGINT to the postmaster): clients are disconnected, nothing is lost. */
  async stop(): Promise<void> { await this.signal('SIGINT'); }

  /** SIGKILL of the postmaster and all its backends at once: a crash (data since the last WAL write may be lost with synchronous_commit=off). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // runuser stays alive to reap the postmaster; a postmaster left a zombie would still "hold" its lock files.
    this.killServer();
    await exited;
    this.removeLockFiles();
  }

  killSync(): void {
    this.killServer();
    this.child?.kill('SIGKILL');
    this.removeLockFiles();
  }

  private killServer(): void {
    const pid = this.postmasterPid();
    if (!pid) return;
    // Children first collected: once the postmaster is gone they are reparented and no longer findable by parent.
    const backends = this.backendPids(pid);
    for (const p of [pid, ...backends]) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  }

  private removeLockFiles(): void {
    fs.rmSync(path.join(this.dataDir, 'postmaster.pid'), { force: true });
    fs.rmSync(path.join(this.dir, `.s.PGSQL.${this.port}.lock`), { force: true });
  }

  async destroy(): Promise<void> {
    await this.stop();
    untrackServer(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private postmasterPid(): number | undefined {
    try { return Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return undefined; }
  }

  private backendPids(postmaster: number): number[] {
    try {
      return execFileSync('pgrep', ['-P', String(postmaster)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').filter(Boolean).map(Number);
    } catch { return []; /* pgrep exits 1 when there are none */ }
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const pid = this.postmasterPid();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // runuser forwards nothing: signal the postmaster itself.
    if (pid) { try { process.kill(pid, sig); } catch { /* gone */ } } else child.kill(sig);
    await exited;
  }
}

export async function startPostgres(opts: { settings?: Record<string, string> } = {}): Promise<PgInstance> {
  const dir = copyTemplate(ensureTemplate(), 'opendi-pg', 'postgres');
  const inst = new PgInstance(dir, await freePort(), { ...DEFAULT_SETTINGS, ...opts.settings });
  trackServer(inst);
  await inst.start();
  return inst;
}
