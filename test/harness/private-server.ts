/**
 * What the private database harnesses (postgres.ts, mariadb.ts) share: a data-dir template made
 * once per process and copied per instance, a free port, and one cleanup that kills every live
 * instance and removes its files however the test process ends (a failed test, Ctrl-C, a
 * runner's SIGTERM).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PrivateServer { readonly dir: string; killSync(): void }

const live = new Set<PrivateServer>();
const templates = new Map<string, string>();
const asRoot = process.getuid?.() === 0;

function cleanupSync(): void {
  for (const s of live) { try { s.killSync(); fs.rmSync(s.dir, { recursive: true, force: true }); } catch { /* best effort */ } }
  live.clear();
  for (const dir of templates.values()) fs.rmSync(dir, { recursive: true, force: true });
  templates.clear();
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => { cleanupSync(); process.kill(process.pid, sig); });
}

export function trackServer(s: PrivateServer): void { live.add(s); }
export function untrackServer(s: PrivateServer): void { live.delete(s); }

/** Server binaries refuse root or drop to their own user: hand them their directory. */
export function chownTo(owner: string, dir: string): void {
  if (asRoot) execFileSync('chown', ['-R', `${owner}:${owner}`, dir]);
}

/** The template for `prefix`, made once per process by `init(dir)` (which fills `dir/data`). */
export function templateDir(prefix: string, owner: string, init: (dir: string) => void): string {
  const cached = templates.get(prefix);
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}tpl-`));
  fs.chmodSync(dir, 0o755);
  chownTo(owner, dir);
  init(dir);
  templates.set(prefix, dir);
  return dir;
}

/** A fresh instance directory holding a copy of the template's data dir. */
export function copyTemplate(template: string, prefix: string, owner: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  execFileSync('cp', ['-a', path.join(template, 'data'), path.join(dir, 'data')]);
  chownTo(owner, dir);
  return dir;
}

/**
 * Ports handed to private servers, reserved across test processes (one file per port holding the
 * owner's pid) for as long as the owning process lives. A server killed and restarted by a test
 * keeps its port, and without the reservation another test process could take the port in
 * between and the restarted server would fail to bind (or a client would reach the wrong server).
 */
const PORTS_DIR = path.join(os.tmpdir(), 'opendi-test-ports');
const reserved = new Set<number>();

function reserve(port: number): boolean {
  fs.mkdirSync(PORTS_DIR, { recursive: true });
  const file = path.join(PORTS_DIR, String(port));
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(fs.readFileSync(file, 'utf8'));
    if (isAlive(owner)) return false;
    fs.writeFileSync(file, String(process.pid)); // its process is gone: the port is free again
  }
  reserved.add(port);
  return true;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try { process.kill(pid, 0); return true; } catch { return false; }
}

process.on('exit', () => {
  for (const port of reserved) { try { fs.rmSync(path.join(PORTS_DIR, String(port))); } catch { /* best effort */ } }
});

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (reserve(port)) return port;
  }
}
