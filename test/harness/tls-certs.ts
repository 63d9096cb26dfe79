/**
 * Throwaway TLS material made with the openssl CLI: a CA and a server certificate it signed for
 * given subjectAltNames, written into a directory the database server's OS user can read
 * (PostgreSQL refuses a key readable by others).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chownTo } from './private-server.ts';

export interface TlsFiles { dir: string; caFile: string; certFile: string; keyFile: string; ca: string }

const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** `altNames`: e.g. ['IP:127.0.0.1'] or ['DNS:db.example']; `owner`: the OS user of the server. */
export function makeTlsFiles(altNames: string[], owner?: string): TlsFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendi-tls-'));
  const f = (name: string) => path.join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=opendi test CA']);
  run(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=opendi test server']);
  fs.writeFileSync(f('ext.cnf'), `subjectAltName=${altNames.join(',')}\n`);
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('ext.cnf')]);
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(f('server.key'), 0o600);
  if (owner) chownTo(owner, dir);
  return { dir, caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key'), ca: fs.readFileSync(f('ca.crt'), 'utf8') };
}
