/**
 * `opendi principal ...`: key management on the data dir's catalog, also while the service runs
 * (SQLite WAL; the service reads keys per request, so a revoke or disable takes effect at once).
 *   create <name>              issues an AccessKey pair for a new principal, printed once
 *   grant <name> --project ID  gives it a workspace
 *   keys <name>                lists its AccessKey ids (never secrets)
 *   revoke <AccessKeyId>       the key stops working
 *   disable <name> / enable <name>  all its keys stop (start) working
 * The name `admin` is the built-in administrator's: it cannot be created or disabled.
 */
import path from 'node:path';
import { openCatalog } from '../config/open-catalog.ts';
import { catalogUrlProblem } from '../config/catalog-url.ts';
import { prepareDataDir } from '../config/data-dir.ts';
import { ADMIN_PRINCIPAL, generateAccessKeyPair } from '../config/admin-key.ts';
import { ConfigError } from '../config/service-config.ts';
import type { CatalogStore } from '../store/catalog-store.ts';

const USAGE = 'usage: opendi principal create <name> | grant <name> --project <id> | keys <name> | revoke <AccessKeyId> | disable <name> | enable <name>  [--data-dir D] [--catalog-url postgres://...]\n';
const FLAGS = ['data-dir', 'project', 'catalog-url'];
const NAME = /^[A-Za-z][A-Za-z0-9_.@-]{0,63}$/;

type Sub = (store: CatalogStore, arg: string, flags: Record<string, string>) => Promise<number>;

const SUBCOMMANDS: Record<string, Sub> = {
  async create(store, name) {
    if (name.toLowerCase() === ADMIN_PRINCIPAL) return fail(`the name ${ADMIN_PRINCIPAL} is reserved for the built-in administrator`);
    if (!NAME.test(name)) return fail('a principal name starts with a letter and holds up to 64 letters, digits or _ . @ -');
    if (await store.findPrincipalByName(name)) return fail(`principal ${name} already exists`);
    const principal = await store.createPrincipal(name, false);
    const pair = generateAccessKeyPair();
    await store.putAccessKey({ accessKeyId: pair.accessKeyId, secret: pair.secret, principalId: principal.id, origin: 'issued' });
    process.stdout.write(JSON.stringify({ Principal: name, AccessKeyId: pair.accessKeyId, AccessKeySecret: pair.secret }) + '\n');
    return 0;
  },
  async grant(store, name, flags) {
    const principal = await store.findPrincipalByName(name);
    const projectId = Number(flags.project);
    if (!principal) return fail(`no principal named ${name}`);
    if (!Number.isSafeInteger(projectId) || !(await store.getProject(projectId))) return fail(`no workspace ${flags.project}`);
    await store.grantProject(projectId, principal.id);
    return 0;
  },
  async keys(store, name) {
    const principal = await store.findPrincipalByName(name);
    if (!principal) return fail(`no principal named ${name}`);
    const keys = (await store.listAccessKeys(principal.id)).map((k) => ({
      AccessKeyId: k.accessKeyId, Origin: k.origin, Status: k.revokedAt === null ? 'active' : 'revoked',
      CreatedAt: k.createdAt === null ? null : new Date(k.createdAt).toISOString(),
      RevokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
    }));
    process.stdout.write(JSON.stringify({ Principal: name, Disabled: principal.disabled, AccessKeys: keys }, null, 2) + '\n');
    return 0;
  },
  async revoke(store, accessKeyId) {
    if (!(await store.getAccessKeyInfo(accessKeyId))) return fail(`no AccessKey ${accessKeyId}`);
    if (!(await store.revokeAccessKey(accessKeyId))) return fail(`the AccessKey ${accessKeyId} is already revoked`);
    process.stdout.write(JSON.stringify({ Revoked: accessKeyId }) + '\n');
    return 0;
  },
  async disable(store, name) {
    return setDisabled(store, name, true);
  },
  async enable(store, name) {
    return setDisabled(store, name, false);
  },
};

async function setDisabled(store: CatalogStore, name: string, disabled: boolean): Promise<number> {
  const principal = await store.findPrincipalByName(name);
  if (!principal) return fail(`no principal named ${name}`);
  if (principal.isAdmin) return fail(`the built-in administrator cannot be ${disabled ? 'disabled' : 'enabled'}; revoke its keys instead`);
  await store.updatePrincipal(principal.id, { disabled });
  process.stdout.write(JSON.stringify({ Principal: name, Disabled: disabled }) + '\n');
  return 0;
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}

export async function principalCommand(sub: string | undefined, arg: string | undefined, flags: Record<string, string>): Promise<number> {
  const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
  if (!run || !arg) { process.stderr.write(USAGE); return 2; }
  const unknown = Object.keys(flags).filter((f) => !FLAGS.includes(f));
  if (unknown.length > 0) throw new ConfigError(`unknown flag ${unknown.map((f) => `--${f}`).join(', ')} (opendi principal takes --data-dir, --project, --catalog-url)`);
  const dataDir = path.resolve(flags['data-dir'] ?? process.env.OPENDI_DATA_DIR ?? '.opendi');
  prepareDataDir(dataDir);
  const catalogUrl = flags['catalog-url'] ?? process.env.OPENDI_CATALOG_URL;
  // The same check as `serve` (service-config.ts): a bad URL is named, never passed to the driver.
  const urlProblem = catalogUrl ? catalogUrlProblem(catalogUrl) : undefined;
  if (urlProblem) throw new ConfigError(urlProblem);
  const store = await openCatalog(dataDir, { masterKey: process.env.OPENDI_MASTER_KEY, masterKeyFile: process.env.OPENDI_MASTER_KEY_FILE || undefined, catalogUrl: catalogUrl || undefined });
  try {
    return await run(store, arg, flags);
  } finally {
    await store.close();
  }
}
