/**
 * `npm run cluster -- --nodes 3 [--base-port 18080]`: a local multi-node OpenDI for trying cluster
 * mode (README "Running several nodes"). Starts a private PostgreSQL as the shared catalog (in a
 * temporary directory, removed at exit), then N `opendi serve` processes on it, node n<i> on port
 * base-port + i - 1, each with its own data dir under .opendi-cluster/, one administrator key
 * and one master key for all. Node logs go to stderr prefixed with the node's name. Ctrl-C drains
 * and stops the nodes, then the catalog. `kill -9` a node's pid (printed) to watch a takeover.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generateAccessKeyPair } from '../src/config/admin-key.ts';
import { startPostgres } from '../test/harness/postgres.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const count = flag('nodes', 3);
const basePort = flag('base-port', 18080);
const home = path.resolve('.opendi-cluster');
fs.mkdirSync(home, { recursive: true, mode: 0o700 });

const catalog = await startPostgres();
await catalog.createDatabase('opendi_catalog');
const url = `postgres://${catalog.user}@${catalog.host}:${catalog.port}/opendi_catalog`;
const key = generateAccessKeyPair();
const masterKey = randomBytes(32).toString('hex');
const nodes: { name: string; port: number; child: ChildProcess }[] = [];

function startNode(i: number): Promise<void> {
  const name = `n${i}`;
  const port = basePort + i - 1;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port), '--data-dir', path.join(home, name), '--catalog-url', url, '--node-id', name], {
    env: { ...process.env, OPENDI_ACCESS_KEY_ID: key.accessKeyId, OPENDI_ACCESS_KEY_SECRET: key.secret, OPENDI_MASTER_KEY: masterKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nodes.push({ name, port, child });
  child.stderr!.on('data', (d: Buffer) => { for (const line of d.toString().split('\n')) if (line) process.stderr.write(`[${name}] ${line}\n`); });
  child.on('exit', (code, signal) => process.stderr.write(`[${name}] exited (${signal ?? code})\n`));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('"listening"')) resolve(); });
    child.once('exit', () => reject(new Error(`node ${name} exited before listening`)));
  });
}

// The first node creates the catalog's tables; the others join it.
await startNode(1);
await Promise.all(Array.from({ length: count - 1 }, (_, i) => startNode(i + 2)));
process.stdout.write([
  `OpenDI cluster: ${count} nodes on the catalog ${url}`,
  ...nodes.map((n) => `  ${n.name}: http://127.0.0.1:${n.port}  (pid ${n.child.pid})`),
  `AccessKey ID ${key.accessKeyId}  secret ${key.secret}`,
  `Try: OPENDI_ACCESS_KEY_ID=${key.accessKeyId} OPENDI_ACCESS_KEY_SECRET=${key.secret} npm run opendi -- call ListProjects --endpoint 127.0.0.1:${basePort}`,
  'Ctrl-C stops everything (nodes drain first).', '',
].join('\n'));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all(nodes.map((n) => n.child.exitCode !== null || n.child.signalCode !== null ? undefined
    : new Promise((resolve) => { n.child.once('exit', resolve); n.child.kill('SIGTERM'); })));
  await catalog.destroy();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
