/**
 * The setup the cross-engine API tests share: a private PostgreSQL and a private MariaDB started
 * side by side, and the service; `destroy` takes all three down.
 */
import { OpenDIService } from './opendi-service.ts';
import { startPostgres, type PgInstance } from './postgres.ts';
import { startMariaDb, type MariaDbInstance } from './mariadb.ts';

export interface CrossEngineEnv { pgi: PgInstance; mdb: MariaDbInstance; svc: OpenDIService; destroy(): Promise<void> }

/** `serviceEnv`: the service's settings (README, "Configuration"), e.g. OPENDI_IDLE_CHECKPOINT_MS. */
export async function startCrossEngineEnv(serviceEnv: Record<string, string> = {}): Promise<CrossEngineEnv> {
  const [pgi, mdb] = await Promise.all([startPostgres(), startMariaDb()]);
  const svc = await OpenDIService.start({ env: serviceEnv });
  return {
    pgi, mdb, svc,
    async destroy() { await svc.destroy(); await Promise.all([pgi.destroy(), mdb.destroy()]); },
  };
}
