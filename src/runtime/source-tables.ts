/**
 * The config process's check of a source database, through the engine (engine/ports.ts
 * checkSourceTables): the same table rules the engine enforces at start, so a bad task is
 * refused before it is created. With an operator allow-list the host is checked again here,
 * after DNS resolution, and the check connects to the address that was checked; connection
 * failures are then reported as one generic sentence (details in the service log at debug),
 * so the check cannot be used to tell closed, open and silent ports apart.
 */
import type { Logger } from '../logger.ts';
import type { Endpoint } from '../domain/data-source-content.ts';
import type { TableRef } from '../domain/task-content.ts';
import type { HostAllowList } from '../config/host-allow-list.ts';
import { checkSourceTables as engineCheck, type SourceCheckOptions } from '../engine/ports.ts';
import { toDbEndpoint } from './db-endpoint.ts';

export interface SourceCheckSettings {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  allowedHosts?: HostAllowList;
  allowCleartextPassword: boolean;
}

/** Returns problems found, one sentence each; empty when every table is usable. Rejects only when `signal` aborts. */
export async function checkSourceTables(
  name: string, endpoint: Endpoint, tables: TableRef[], settings: SourceCheckSettings, signal: AbortSignal, logger: Logger,
  options: SourceCheckOptions = {},
): Promise<string[]> {
  let host = endpoint.host;
  if (settings.allowedHosts) {
    const addresses = await settings.allowedHosts.resolve(endpoint.host);
    if (!addresses) return [`the reader data source ${name} points at a host the operator's allow-list does not include`];
    // Without TLS nothing ties the server to the name: connect to the address that was checked.
    if (!endpoint.tls) host = addresses[0];
  }
  try {
    return await engineCheck(endpoint.kind, toDbEndpoint(endpoint, settings.allowCleartextPassword, host), tables, {
      connectTimeoutMs: settings.connectTimeoutMs, statementTimeoutMs: settings.statementTimeoutMs, signal,
    }, options);
  } catch (err) {
    if (signal.aborted) throw err;
    const reason = (err as Error).message;
    if (settings.allowedHosts) {
      logger.debug?.('config check cannot reach the source', { dataSource: name, host: endpoint.host, port: endpoint.port, error: reason });
      return [`cannot reach the data source ${name}`];
    }
    return [`cannot check the source database ${endpoint.host}:${endpoint.port}/${endpoint.database}: ${reason}`];
  }
}
