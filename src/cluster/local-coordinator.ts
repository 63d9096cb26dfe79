/**
 * The single-process coordinator (SQLite catalog, no `--catalog-url`): this node owns every task
 * and each pipeline (re)start takes the next fence from the task's runtime row, exactly as the
 * task runner always did. Nothing to join, renew or hand off.
 */
import type { CatalogStore } from '../store/catalog-store.ts';
import type { ClusterCoordinator, NodeView, OwnerView } from './cluster-coordinator.ts';

export class LocalCoordinator implements ClusterCoordinator {
  readonly clustered = false;
  readonly nodeKey: string;

  constructor(private readonly store: CatalogStore, readonly nodeName: string) {
    this.nodeKey = nodeName;
  }

  async start(): Promise<void> {}
  claim(taskId: number): Promise<number> { return this.bump(taskId); }
  refence(taskId: number): Promise<number> { return this.bump(taskId); }
  async release(): Promise<void> {}
  seize(taskId: number): Promise<number> { return this.bump(taskId); }
  holds(): boolean { return true; }
  async nodes(): Promise<NodeView[]> { return [{ key: this.nodeKey, name: this.nodeName, live: true, draining: false, ageMs: 0 }]; }
  async owners(): Promise<OwnerView[]> { return []; }
  async ownerOf(): Promise<null> { return null; }
  async reapDead(): Promise<void> {}
  async setDraining(): Promise<void> {}
  async wake(): Promise<void> {}
  onChange(): void {}
  onLeaseLost(): void {}
  async close(): Promise<void> {}

  private async bump(taskId: number): Promise<number> {
    return (await this.store.mutateTaskRuntime(taskId, (r) => ({ fence: r.fence + 1 }))).fence;
  }
}
