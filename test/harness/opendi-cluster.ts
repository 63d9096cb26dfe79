/**
 * Several `opendi serve` processes on one private PostgreSQL catalog (README "Running several
 * nodes"): node `n<i>` gets its own data dir and `--node-id n<i>`; all share the catalog URL and
 * the master key. Cluster timings are shortened for tests (lease 6 s, settle window 2 s). The
 * ownership rows are read straight from the catalog (schema opendi_cluster), as a DBA would.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { OpenDIService } from './opendi-service.ts';
import type { PgInstance } from './postgres.ts';

export const TEST_CLUSTER_ENV: Record<string, string> = {
  OPENDI_CLUSTER_LEASE_MS: '6000', OPENDI_CLUSTER_HEARTBEAT_MS: '500', OPENDI_CLUSTER_TICK_MS: '500',
  OPENDI_CLUSTER_CLAIM_GRACE_MS: '1000', OPENDI_CLUSTER_SETTLE_MS: '2000', OPENDI_CLUSTER_DRAIN_MS: '30000',
};

export interface Owner { taskId: number; node: string | null; key: string | null; fence: number; live: boolean }

export class OpenDICluster {
  readonly nodes = new Map<string, OpenDIService>();
  /** Every node ever started, killed ones too (their logs). */
  private readonly all = new Map<string, OpenDIService>();
  private readonly frozen = new Set<string>();
  private readonly masterKey = randomBytes(32).toString('hex');
  private next = 1;

  /** `via`: where the nodes reach the catalog (e.g. a TcpProxy in front of it); the catalog itself by default. */
  constructor(readonly catalog: PgInstance, readonly database: string, private readonly env: Record<string, string> = {}, private readonly via?: { host: string; port: number }) {}

  static async start(catalog: PgInstance, count: number, env: Record<string, string> = {}, database = 'opendi_catalog', via?: { host: string; port: number }): Promise<OpenDICluster> {
    await catalog.createDatabase(database);
    const cluster = new OpenDICluster(catalog, database, env, via);
    // The first node creates the catalog schema; the others join it.
    await cluster.add();
    await Promise.all(Array.from({ length: count - 1 }, () => cluster.add()));
    return cluster;
  }

  get url(): string { return this.urlVia(this.via); }

  private urlVia(via?: { host: string; port: number }): string {
    return `postgres://${this.catalog.user}@${via?.host ?? this.catalog.host}:${via?.port ?? this.catalog.port}/${this.database}`;
  }

  /**
   * Starts node n<next> (extra env: e.g. libfaketime for a skewed clock); `via`: this node's own
   * route to the catalog (a proxy that cuts off this node only).
   */
  async add(env: Record<string, string> = {}, via = this.via): Promise<string> {
    const name = `n${this.next++}`;
    const svc = await OpenDIService.start({
      args: ['--catalog-url', this.urlVia(via), '--node-id', name, '--stop-timeout-ms', '2000'],
      env: { OPENDI_MASTER_KEY: this.masterKey, ...TEST_CLUSTER_ENV, ...this.env, ...env },
    });
    this.nodes.set(name, svc);
    this.all.set(name, svc);
    return name;
  }

  node(name: string): OpenDIService {
    const svc = this.nodes.get(name);
    if (!svc) throw new Error(`no node ${name}`);
    return svc;
  }

  /** SIGSTOP / SIGCONT of a node; a frozen node is never picked by `other`. */
  freeze(name: string): void { this.frozen.add(name); this.node(name).freeze(); }
  thaw(name: string): void { this.frozen.delete(name); this.node(name).thaw(); }

  /** Any running node other than the ones named. */
  other(...not: (string | null)[]): OpenDIService {
    const name = [...this.nodes.keys()].find((n) => !not.includes(n) && !this.frozen.has(n));
    if (!name) throw new Error('no other node');
    return this.node(name);
  }

  async owners(): Promise<Owner[]> {
    const r = await this.catalog.query(
      `SELECT o.task_id, n.name, o.owner_key, o.fence, COALESCE(opendi_cluster.node_alive(n.node_key, n.lease_until), false) AS live
         FROM opendi_cluster.task_owner o LEFT JOIN opendi_cluster.node n ON n.node_key = o.owner_key ORDER BY o.task_id`, [], this.database);
    return r.rows.map((o) => ({ taskId: Number(o.task_id), node: o.name, key: o.owner_key, fence: Number(o.fence), live: o.live }));
  }

  async ownerOf(taskId: number): Promise<Owner | undefined> {
    return (await this.owners()).find((o) => o.taskId === taskId);
  }

  /** Node name -> task ids it owns (live owners only). */
  async tasksByNode(): Promise<Map<string, number[]>> {
    const by = new Map<string, number[]>([...this.nodes.keys()].map((n) => [n, []]));
    for (const o of await this.owners()) if (o.node && o.live) by.get(o.node)?.push(o.taskId);
    return by;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((s) => s.kill()));
    for (const [name, svc] of this.all) this.keepLog(name, svc);
    await Promise.all([...this.all.values()].map((s) => s.destroy()));
  }

  /** OPENDI_TEST_LOG_DIR=dir keeps every node's log there (for a failing scenario). */
  private keepLog(name: string, svc: OpenDIService): void {
    const dir = process.env.OPENDI_TEST_LOG_DIR;
    if (dir) fs.writeFileSync(path.join(dir, `${name}.log`), svc.log);
  }
}
