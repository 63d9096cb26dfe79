/**
 * Starts the real service as a child process (`opendi serve`), so a test can kill -9 it and
 * restart it on the same data dir and port. Calls go through `@alicloud/openapi-core`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataWorksClient } from '../../src/client/dataworks-client.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export interface OpenDIOptions {
  env?: Record<string, string>; dataDir?: string;
  /** More `opendi serve` flags. */
  args?: string[];
  /** A postgres:// catalog URL (test/harness/catalogs.ts freshPgCatalogUrl): the service keeps its catalog there, not in the data dir. */
  catalogUrl?: string;
}

export class OpenDIService {
  readonly accessKeyId = 'ODAKTESTADMIN0001';
  readonly accessKeySecret = 'test-admin-secret-0123456789';
  port = 0;
  log = '';
  private child: ChildProcess | undefined;

  private constructor(readonly dataDir: string, private readonly env: Record<string, string>, private readonly args: string[] = []) {}

  static async start(options: OpenDIOptions = {}): Promise<OpenDIService> {
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-test-'));
    const args = [...options.args ?? [], ...options.catalogUrl ? ['--catalog-url', options.catalogUrl] : []];
    const svc = new OpenDIService(dataDir, options.env ?? {}, args);
    await svc.launch();
    return svc;
  }

  get endpoint(): string { return `127.0.0.1:${this.port}`; }

  /** The service process id (for RSS sampling in benchmarks). */
  get pid(): number | undefined { return this.child?.pid; }

  client(signature: 'v2' | 'v3' = 'v3', key?: { accessKeyId: string; accessKeySecret: string }): DataWorksClient {
    return new DataWorksClient({
      endpoint: this.endpoint, signature,
      accessKeyId: key?.accessKeyId ?? this.accessKeyId, accessKeySecret: key?.accessKeySecret ?? this.accessKeySecret,
    });
  }

  /** Runs `opendi <args>` against this service's data dir and returns its stdout. */
  async cli(args: string[]): Promise<string> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--data-dir', this.dataDir], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`opendi ${args.join(' ')} exited ${code}: ${err}`);
    return out;
  }

  async launch(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(this.port), '--data-dir', this.dataDir, ...this.args], {
      cwd: ROOT,
      env: { ...process.env, OPENDI_ACCESS_KEY_ID: this.accessKeyId, OPENDI_ACCESS_KEY_SECRET: this.accessKeySecret, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    child.on('exit', () => live.delete(child));
    child.stderr!.on('data', (d) => { this.log += d; });
    this.port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      const onExit = (code: number | null) => reject(new Error(`opendi serve exited (${code}) before listening:\n${this.log}`));
      child.once('exit', onExit);
      child.stdout!.on('data', (d) => {
        buf += d;
        const line = buf.split('\n').find((l) => l.includes('"listening"'));
        if (line) { child.off('exit', onExit); resolve(JSON.parse(line).listening.port); }
      });
    });
  }

  /** SIGKILL: no graceful anything, like a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: graceful shutdown; running tasks stay meant-to-run and resume on the next start. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** The reader of the service's stdout and stderr goes away (a log collector or a supervisor's pipe): both pipes close. */
  closeOutput(): void {
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
  }

  /** SIGSTOP / SIGCONT: the process is frozen (a long GC pause, a hung VM), then wakes up. */
  freeze(): void { this.child?.kill('SIGSTOP'); }
  thaw(): void { this.child?.kill('SIGCONT'); }

  /** The process has exited (with its exit code), or null while it runs. */
  get exitCode(): number | null { return this.child?.exitCode ?? null; }

  /** SIGTERM without waiting: a cluster node drains first, then exits. */
  terminate(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  async restart(): Promise<void> {
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(sig);
    await exited;
  }
}
