/**
 * The pools of one service shared per data source (the target pools: sinks/target-pools.ts; a
 * PostgreSQL source's control pools: sources/postgres/control-pools.ts). A user `use`s the pool of
 * its data source and lets go of it when it is done; the last user letting go closes the pool.
 */
import { createHash } from 'node:crypto';
import type { DbEndpoint } from './endpoint.ts';

export interface SharedUse<V> {
  value: V;
  /** This user is done with the pool (idempotent). */
  release(): void;
}

export class SharedPools<V> {
  private readonly entries = new Map<string, { users: number; value: V }>();

  /** `end`: closes a pool whose last user let go. */
  constructor(private readonly end: (value: V) => Promise<void>) {}

  use(key: string, create: () => V): SharedUse<V> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { users: 0, value: create() };
      this.entries.set(key, entry);
    }
    entry.users++;
    const used = entry;
    let released = false;
    return {
      value: used.value,
      release: () => {
        if (released) return;
        released = true;
        if (--used.users > 0) return;
        if (this.entries.get(key) === used) this.entries.delete(key);
        void this.end(used.value);
      },
    };
  }

  values(): V[] {
    return [...this.entries.values()].map((e) => e.value);
  }
}

/** A data source's key: kind, address, database, user, TLS and a hash of the password (never kept in clear a second time). */
export function dataSourceKey(kind: string, e: DbEndpoint): string {
  const secret = createHash('sha256').update(e.password ?? '').digest('hex');
  return JSON.stringify([kind, e.host, e.port, e.database, e.user, secret, e.tls ?? null]);
}
