/**
 * The data dir: created owner-only when the service creates it (a directory that already exists
 * keeps its mode: it may be shared, or `.`), and owned by one service at a time through an OS
 * file lock that dies with the process (SQLite's fcntl lock on `service.lock`, held in an open
 * exclusive transaction), so even a kill -9 never leaves a stale lock behind.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './service-config.ts';

export const LOCK_FILE = 'service.lock';
export const PID_FILE = 'service.pid';

/** Creates the directory (0700) when missing; says whether it did. Never changes an existing one. */
export function prepareDataDir(dataDir: string): { created: boolean } {
  if (fs.existsSync(dataDir)) {
    if (!fs.statSync(dataDir).isDirectory()) throw new ConfigError(`--data-dir ${dataDir} is not a directory`);
    return { created: false };
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // mkdir applies the umask; the mode must not depend on it.
  fs.chmodSync(dataDir, 0o700);
  return { created: true };
}

export interface DataDirLock { release(): void }

/** Takes the data dir for this process or fails at once, naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const db = new Database(file, { timeout: 0 });
  try {
    fs.chmodSync(file, 0o600);
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const pid = readPid(dataDir);
    throw new ConfigError(`another OpenDI service${pid ? ` (pid ${pid})` : ''} is using the data dir ${dataDir}; stop it first, or start this one with another --data-dir`);
  }
  fs.writeFileSync(path.join(dataDir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
  return {
    release: () => {
      try { fs.rmSync(path.join(dataDir, PID_FILE), { force: true }); } finally { db.close(); }
    },
  };
}

function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
