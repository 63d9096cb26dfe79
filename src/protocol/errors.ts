/**
 * The one error catalog of the API (fastify lib/errors.js style): every code the edge can answer,
 * with its HTTP status and the client-facing advice. Codes and messages follow the Alibaba Cloud
 * OpenAPI gateway's public error codes (InvalidAccessKeyId.NotFound, SignatureDoesNotMatch,
 * InvalidTimeStamp.Expired, SignatureNonceUsed, IncompleteSignature, InvalidAction.NotFound, ...)
 * so SDK users recognise them; input errors of our own actions are `Param.Invalid` (docs/design.md 1, 3).
 * `serializeError` writes every error the same way: JSON {RequestId, HostId, Code, Message,
 * Recommend} with the request id also in `x-acs-request-id`; never HTML, never a stack trace.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { CatalogUnavailableError } from '../domain/catalog-unavailable.ts';

export class ApiError extends Error {
  constructor(readonly code: string, readonly httpStatus: number, message: string, readonly recommend = '') {
    super(message);
    this.name = 'ApiError';
  }
}

/** Code -> HTTP status and advice. Every code an action answers is here, with a factory below; none is built inline. */
const CATALOG = {
  'Param.Invalid': { status: 400, recommend: 'Check the parameter named in the message against the API reference.' },
  'Forbidden.Access': { status: 403, recommend: "Ask an administrator to grant your AccessKey's principal access to the workspace." },
  'InvalidAccessKeyId.NotFound': { status: 404, recommend: 'Check the AccessKey ID.' },
  SignatureDoesNotMatch: { status: 400, recommend: 'Check the AccessKey secret and how the request is signed.' },
  IncompleteSignature: { status: 400, recommend: 'Sign the request with ACS3-HMAC-SHA256 (Authorization header) or HMAC-SHA1 (Signature parameter).' },
  ContentSHA256NotMatched: { status: 400, recommend: 'Send x-acs-content-sha256 as the hex SHA-256 of the exact body bytes.' },
  MissingParameter: { status: 400, recommend: 'Add the missing signing field; the Alibaba Cloud SDKs send it automatically.' },
  'InvalidTimeStamp.Format': { status: 400, recommend: 'Send the time in UTC as YYYY-MM-DDThh:mm:ssZ.' },
  'InvalidTimeStamp.Expired': { status: 400, recommend: "Synchronize the client's clock; requests are accepted within 15 minutes of the server clock." },
  SignatureNonceUsed: { status: 400, recommend: 'Send a new random nonce with every request.' },
  'InvalidAction.NotFound': { status: 404, recommend: 'Check the action name, the API version and the URL (RPC calls go to "/").' },
  InvalidVersion: { status: 400, recommend: 'Use one of the supported API versions.' },
  UnsupportedHTTPMethod: { status: 405, recommend: 'Send RPC calls with GET, POST or PUT.' },
  UnsupportedMediaType: { status: 415, recommend: 'Send the form body as application/x-www-form-urlencoded.' },
  ContentLengthExceeded: { status: 413, recommend: 'Send a request body of at most 8 MiB.' },
  InvalidHttpRequest: { status: 400, recommend: 'Send a well-formed HTTP/1.1 request.' },
  ServiceUnavailable: { status: 503, recommend: 'Retry later, or sign with ACS3-HMAC-SHA256 (V3), whose requests are authenticated before their body is read.' },
  'Invalid.DIJob.NotExists': { status: 404, recommend: 'Check the job id (Id / DIJobId) and that your AccessKey may see its workspace.' },
  'Invalid.DIJob.Status': { status: 400, recommend: 'Check the job status with GetDIJob; stop a running job (StopDIJob) before deleting or rerunning it.' },
  'OperationFailed.DIJob': { status: 503, recommend: 'Make sure the job\'s databases are reachable, then retry.' },
  'Invalid.DIAlarmRule.NotExists': { status: 404, recommend: "Check the alarm rule id (Id / DIAlarmRuleId) and that your AccessKey may see its job's workspace." },
  'Invalid.DataSource.NotExists': { status: 404, recommend: 'Check the data source (ListDataSources) and that your AccessKey may see its workspace.' },
  'Invalid.DataSource.InUse': { status: 400, recommend: 'Change or delete the tasks and jobs that use the data source (ListRefDISyncTasks lists them), then retry.' },
  'OperationFailed.DataSource': { status: 503, recommend: 'Check that the database is reachable (TestDataSourceConnectivity) and that the user may read its catalog.' },
  'Invalid.File.NotExists': { status: 404, recommend: 'Check the file id (FileId / NodeId) and the workspace (ListFiles).' },
  'Invalid.File.DeleteFailed': { status: 400, recommend: 'Stop the task (StopDISyncInstance) and retry.' },
  'ServiceUnavailable.Catalog': { status: 503, recommend: 'The catalog database is unreachable or slow. A write may or may not have taken effect (the connection can fail after the database applied it): read before retrying a create, or retry with the same ClientToken. Operators: check the database of --catalog-url.' },
  'InternalError.System': { status: 500, recommend: 'Retry later; if the problem persists, report the RequestId to the operator.' },
} as const satisfies Record<string, { status: number; recommend: string }>;

export type CatalogCode = keyof typeof CATALOG;

function fromCatalog(code: CatalogCode, message: string): ApiError {
  return new ApiError(code, CATALOG[code].status, message, CATALOG[code].recommend);
}

/**
 * The message always names the parameter. A reason that continues the sentence ("must be an
 * integer") follows the name; a reason that already names it is kept; any other is appended.
 */
export const paramInvalid = (name: string, reason: string) => fromCatalog('Param.Invalid', describeInvalid(name, reason));
function describeInvalid(name: string, reason: string): string {
  const text = reason.trim().replace(/\.$/, '');
  if (text.startsWith(name)) return `${text}.`;
  if (/^(must|is|are|has|have|should|cannot|can't|does|do|needs?|appears)\b/.test(text)) return `${name} ${text}.`;
  return `${name}: ${text}.`;
}
export const paramMissing = (name: string) => fromCatalog('Param.Invalid', `${name} is mandatory for this action.`);
export const forbiddenAccess = (projectId: number | string) =>
  fromCatalog('Forbidden.Access', `You have no access to workspace ${projectId}, or it does not exist.`);
export const accessKeyNotFound = () => fromCatalog('InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
export const signatureMismatch = () => fromCatalog('SignatureDoesNotMatch', 'Specified signature does not match our calculation.');
export const incompleteSignature = (reason: string) =>
  fromCatalog('IncompleteSignature', `The request signature does not conform to Aliyun standards: ${reason}.`);
export const contentSha256Mismatch = () =>
  fromCatalog('ContentSHA256NotMatched', 'Specified x-acs-content-sha256 does not match the request body.');
/** Only for signing fields (headers / common parameters); an action's own parameters use paramMissing. */
export const missingAuthParameter = (name: string) =>
  fromCatalog('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
export const timestampFormat = (name: string) =>
  fromCatalog('InvalidTimeStamp.Format', `Specified ${name} is not well formatted; expected YYYY-MM-DDThh:mm:ssZ.`);
export const timestampExpired = () =>
  fromCatalog('InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired (more than 15 minutes from the server clock).');
export const nonceUsed = () => fromCatalog('SignatureNonceUsed', 'Specified signature nonce was used already.');
export const actionNotFound = (action: string) =>
  fromCatalog('InvalidAction.NotFound', `Specified api ${JSON.stringify(action)} is not found, please check your url and method.`);
export const pathNotFound = (path: string) =>
  fromCatalog('InvalidAction.NotFound', `Specified path ${JSON.stringify(path.slice(0, 100))} is not found; RPC calls go to "/".`);
export const versionNotSupported = (version: string, supported: readonly string[]) =>
  fromCatalog('InvalidVersion', `Specified version ${JSON.stringify(version)} is not supported; supported versions: ${supported.join(', ')}.`);
export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  fromCatalog('UnsupportedHTTPMethod', `HTTP method ${method} is not supported; use ${allowed.join(', ')}.`);
export const unsupportedMediaType = (type: string) =>
  fromCatalog('UnsupportedMediaType', `Content-Type ${JSON.stringify(type.slice(0, 100))} is not accepted for the request body.`);
export const serverBusy = () => fromCatalog('ServiceUnavailable', 'Too many request bodies are waiting for their signature to be checked.');
export const bodyTooLarge = (limit: number) => fromCatalog('ContentLengthExceeded', `The request body is larger than ${limit} bytes.`);
/** The HTTP parser refused the request (bad syntax 400, headers too large 431, too slow 408). */
export const invalidHttpRequest = (status: 400 | 408 | 431, reason: string) =>
  new ApiError('InvalidHttpRequest', status, `The HTTP request was rejected: ${reason}.`, CATALOG.InvalidHttpRequest.recommend);
/** 2024-05-18: an unknown job and a job of a workspace the caller may not see answer alike (no existence oracle). */
export const jobNotFound = (id: number | string) => fromCatalog('Invalid.DIJob.NotExists', `The DI job ${id} does not exist.`);
/** 2024-05-18: the job's state does not allow the operation (running, never started, not deployed). */
export const jobStatusInvalid = (message: string) => fromCatalog('Invalid.DIJob.Status', message);
/** 2024-05-18: the operation needed a database that failed; nothing was lost, the call can be retried. */
export const jobOperationFailed = (message: string) => fromCatalog('OperationFailed.DIJob', message);
/** An unknown alarm rule and a rule of a job the caller may not see answer alike. */
export const alarmRuleNotFound = (id: number | string) => fromCatalog('Invalid.DIAlarmRule.NotExists', `The DI alarm rule ${id} does not exist.`);
/**
 * A data source by id or name; an unknown one and one of a workspace the caller may not see answer
 * alike (src/actions/require-data-source.ts). With a workspace: not in that workspace.
 */
export const dataSourceNotFound = (ref: number | string, projectId?: number) =>
  fromCatalog('Invalid.DataSource.NotExists', `the data source ${ref} does not exist${projectId === undefined ? '' : ` in workspace ${projectId}`}`);
/** A data source tasks (2020) or jobs (2024) still use cannot be deleted; `users` names what uses it, e.g. "2 task(s)". */
export const dataSourceInUse = (name: string, users: string) =>
  fromCatalog('Invalid.DataSource.InUse', `the data source ${name} is used by ${users}; change or delete them first`);
/** The operation needed to read a data source's database and could not; nothing changed, the call can be retried. */
export const dataSourceOperationFailed = (message: string) => fromCatalog('OperationFailed.DataSource', message);
export const fileNotFound = (fileId: number, projectId: number) =>
  fromCatalog('Invalid.File.NotExists', `the file ${fileId} does not exist in workspace ${projectId}`);
/** The file could not be deleted (a running real-time task); `message` says why. */
export const fileDeleteFailed = (message: string) => fromCatalog('Invalid.File.DeleteFailed', message);
/** Recoverable: the catalog database did not answer (down, failing over, overloaded); the same call works once it is back. */
export const catalogUnavailable = () =>
  fromCatalog('ServiceUnavailable.Catalog', 'The service cannot reach its catalog database at the moment; retry shortly.');
export const internalError = () => fromCatalog('InternalError.System', 'The request processing has failed due to some unknown error.');

/**
 * Writes an error answer. Anything that is not an ApiError is a fault of ours: it is logged with
 * the request id (so an operator can find it) and answered as a generic InternalError.System.
 */
export function serializeError(res: ServerResponse, err: unknown, requestId: string, hostId: string, logger?: Logger): ApiError {
  if (err instanceof CatalogUnavailableError) {
    logger?.warn('catalog unavailable', { requestId, error: err.message });
    const apiError = catalogUnavailable();
    writeJson(res, apiError.httpStatus, requestId, errorBody(apiError, requestId, hostId), { 'retry-after': '5' });
    return apiError;
  }
  const apiError = err instanceof ApiError ? err : internalError();
  if (!(err instanceof ApiError)) {
    logger?.error('unexpected fault', { requestId, error: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });
  }
  writeJson(res, apiError.httpStatus, requestId, errorBody(apiError, requestId, hostId));
  return apiError;
}

/** The error body, exactly these five fields (docs/design.md section 1). */
export function errorBody(err: ApiError, requestId: string, hostId: string): Record<string, string> {
  return { RequestId: requestId, HostId: hostId, Code: err.code, Message: err.message, Recommend: err.recommend };
}

/** The one place a response is written: JSON, UTF-8, request id in the body and in `x-acs-request-id`. */
export function writeJson(res: ServerResponse, status: number, requestId: string, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-acs-request-id': requestId,
  });
  res.end(text);
}
