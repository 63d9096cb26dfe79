/**
 * `opendi principal create <name>` issues an AccessKey pair for a new principal and prints it
 * once, to the person who asked; `opendi principal grant <name> --project <id>` gives it a workspace.
 * Both work on the data dir's catalog, also while the service runs (SQLite WAL).
 */
import path from 'node:path';
import { SqliteCatalogStore } from '../store/sqlite/sqlite-catalog-store.ts';
import { ensureDataDir, generateAccessKeyPair } from '../config/admin-key.ts';
import { CATALOG_FILE } from '../service.ts';

export async function principalCommand(sub: string | undefined, name: string | undefined, flags: Record<string, string>): Promise<number> {
  if ((sub !== 'create' && sub !== 'grant') || !name) {
    process.stderr.write('usage: opendi principal create <name> | opendi principal grant <name> --project <id>  [--data-dir D]\n');
    return 2;
  }
  const dataDir = path.resolve(flags['data-dir'] ?? process.env.OPENDI_DATA_DIR ?? '.opendi');
  ensureDataDir(dataDir);
  const store = new SqliteCatalogStore(path.join(dataDir, CATALOG_FILE));
  try {
    if (sub === 'create') {
      if (await store.findPrincipalByName(name)) { process.stderr.write(`principal ${name} already exists\n`); return 1; }
      const principal = await store.createPrincipal(name, false);
      const pair = generateAccessKeyPair();
      await store.putAccessKey({ accessKeyId: pair.accessKeyId, secret: pair.secret, principalId: principal.id });
      process.stdout.write(JSON.stringify({ Principal: name, AccessKeyId: pair.accessKeyId, AccessKeySecret: pair.secret }) + '\n');
      return 0;
    }
    const principal = await store.findPrincipalByName(name);
    const projectId = Number(flags.project);
    if (!principal) { process.stderr.write(`no principal named ${name}\n`); return 1; }
    if (!Number.isSafeInteger(projectId) || !(await store.getProject(projectId))) { process.stderr.write(`no workspace ${flags.project}\n`); return 1; }
    await store.grantProject(projectId, principal.id);
    return 0;
  } finally {
    await store.close();
  }
}
