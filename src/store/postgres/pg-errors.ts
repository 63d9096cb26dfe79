/**
 * How the PostgreSQL catalog's errors reach the store's callers: a unique violation (SQLSTATE
 * 23505) as UniqueViolationError naming `table.column, ...` like SQLite does; a database that
 * cannot be reached, is shutting down, refuses connections or did not answer within the bounds
 * (connect timeout, statement_timeout 57014, query_timeout) as CatalogUnavailableError. Anything
 * else is a fault and passes through. Values from the error's detail are never copied.
 */
import { UniqueViolationError } from '../catalog-store.ts';
import { CatalogUnavailableError } from '../../domain/catalog-unavailable.ts';

/** SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P0x (shutdown, cannot connect now), 57014 (canceled by statement_timeout). */
const UNAVAILABLE_STATES = /^(08|53|57P0|57014)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres raises these as plain Errors without a code. */
const DRIVER_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended|not queryable/i;

export function mapPgError(err: unknown): unknown {
  const e = err as { code?: string; message?: string; table?: string; detail?: string };
  if (e?.code === '23505') {
    const columns = /^Key \((.*?)\)=/.exec(e.detail ?? '')?.[1]?.split(',').map((c) => c.trim()) ?? [];
    return new UniqueViolationError(columns.length > 0 && e.table ? columns.map((c) => `${e.table}.${c}`).join(', ') : (e.table ?? 'unknown'));
  }
  if (isUnavailable(e)) return new CatalogUnavailableError(describe(e));
  return err;
}

function isUnavailable(e: { code?: string; message?: string }): boolean {
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return UNAVAILABLE_STATES.test(e.code);
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  return DRIVER_MESSAGES.test(e?.message ?? '');
}

function describe(e: { code?: string; message?: string }): string {
  if (e.code === '57014') return 'a statement did not finish within the catalog statement timeout';
  return e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? 'unknown error');
}
