/**
 * Cluster mode's settings (README "Running several nodes"): on when the catalog is in PostgreSQL
 * (`--catalog-url`, checked by service-config.ts), with this node's name (`--node-id`, resolved
 * there too) and the timing of leases and reconciling, each overridable by environment (tests and
 * `npm run cluster` shorten the settling window).
 */
import { ConfigError } from './service-config.ts';

export interface ClusterSettings {
  catalogUrl: string;
  nodeName: string;
  leaseMs: number;
  heartbeatMs: number;
  tickMs: number;
  claimGraceMs: number;
  settleMs: number;
  /** SIGTERM: how long hand-offs may take before the remaining pipelines just stop. */
  drainMs: number;
}

export function clusterSettings(config: { catalogUrl?: string; nodeId: string }, env: NodeJS.ProcessEnv): ClusterSettings | undefined {
  const catalogUrl = config.catalogUrl;
  if (catalogUrl === undefined) return undefined;
  const ms = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${name} must be an integer of at least ${min} (milliseconds)`);
    return v;
  };
  return {
    catalogUrl,
    nodeName: config.nodeId,
    leaseMs: ms('OPENDI_CLUSTER_LEASE_MS', 8_000, 5_000),
    heartbeatMs: ms('OPENDI_CLUSTER_HEARTBEAT_MS', 1_000, 200),
    tickMs: ms('OPENDI_CLUSTER_TICK_MS', 1_000, 100),
    claimGraceMs: ms('OPENDI_CLUSTER_CLAIM_GRACE_MS', 2_000, 0),
    settleMs: ms('OPENDI_CLUSTER_SETTLE_MS', 30_000, 0),
    drainMs: ms('OPENDI_CLUSTER_DRAIN_MS', 60_000, 0),
  };
}
