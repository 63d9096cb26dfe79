/**
 * The setup the PostgreSQL-only API tests share: a private PostgreSQL, the service, and one
 * workspace to create tasks in; `destroy` takes both down (the cross-engine twin is
 * cross-engine-env.ts).
 */
import { OpenDIService } from './opendi-service.ts';
import { startPostgres, type PgInstance } from './postgres.ts';
import { createWorkspace } from './realtime-scenario.ts';

export interface PgServiceEnv { pgi: PgInstance; svc: OpenDIService; projectId: number; destroy(): Promise<void> }

export async function startPgServiceEnv(workspace: string): Promise<PgServiceEnv> {
  const pgi = await startPostgres();
  const svc = await OpenDIService.start();
  const projectId = await createWorkspace(svc.client(), workspace);
  return { pgi, svc, projectId, async destroy() { await svc.destroy(); await pgi.destroy(); } };
}
