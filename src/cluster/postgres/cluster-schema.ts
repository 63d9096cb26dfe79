/**
 * The coordinator's tables in the catalog database, schema opendi_cluster (README "Running several
 * nodes"). Created idempotently under a transaction-level advisory lock, so nodes starting
 * together do not race on CREATE. `node_alive` is the one liveness rule: the lease has not expired
 * by the database's clock, and the node's session still holds its advisory lock (a killed
 * process's session ends at once and PostgreSQL releases its session-level locks: PostgreSQL docs,
 * "Advisory Locks"), so a dead process is seen within a tick, a frozen or cut-off one at lease
 * expiry.
 */
import type pg from 'pg';

/** First key of the two-key advisory locks: 7353 guards schema creation, 7354 marks a live node. */
export const SCHEMA_LOCK = 7353;
export const NODE_LOCK = 7354;

const DDL = `
  CREATE SCHEMA IF NOT EXISTS opendi_cluster;
  CREATE SEQUENCE IF NOT EXISTS opendi_cluster.fence_seq;
  CREATE TABLE IF NOT EXISTS opendi_cluster.node (
    node_key text PRIMARY KEY, name text NOT NULL, joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_until timestamptz NOT NULL, draining boolean NOT NULL DEFAULT false);
  CREATE TABLE IF NOT EXISTS opendi_cluster.task_owner (
    task_id bigint PRIMARY KEY, owner_key text, fence bigint NOT NULL, since timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE OR REPLACE FUNCTION opendi_cluster.node_alive(k text, until timestamptz) RETURNS boolean LANGUAGE sql VOLATILE AS $$
    SELECT until > clock_timestamp() AND EXISTS (
      SELECT 1 FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${NODE_LOCK}::oid AND l.objsubid = 2
         AND l.objid = (hashtext(k)::bigint & 4294967295)::oid
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
  $$`;

export async function ensureClusterSchema(c: pg.ClientBase): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK}, 0)`);
    await c.query(DDL);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A live node's session-level lock key, the second half (hashtext is stable across sessions). */
export const NODE_LOCK_SQL = `pg_advisory_lock(${NODE_LOCK}, hashtext($1))`;
