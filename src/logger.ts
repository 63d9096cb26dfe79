/**
 * Structured logging: one JSON object per line on stderr.
 * Callers must never pass secrets (passwords, AccessKey secrets) in fields; data source
 * configs are logged only through `redactConnection`.
 *
 * Levels: `debug` is for what only someone chasing a problem wants (one line per API request,
 * ignored request parameters); task events (start, stop, failover, DDL, dirty rows, alerts) are
 * `info` or above, so the default level shows them without the request noise
 * (OPENDI_LOG_LEVEL=debug shows both).
 */
export interface Logger {
  /** Optional so that small test and no-op loggers need not implement it; call as `logger.debug?.(...)`. */
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * Set once stderr fails (EPIPE: whoever read it exited). Its lines then have nowhere to go and are
 * dropped: without the listener the failed write was an uncaught error, which the service's
 * keep-serving handler logged to the same dead stderr, which failed again, and so on; the process
 * spun and stopped answering (test/log-output-gone.test.ts).
 */
let outputGone = false;
let watchingOutput = false;
function watchOutput(): void {
  if (watchingOutput) return;
  watchingOutput = true;
  process.stderr.on('error', () => { outputGone = true; });
}

export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  watchOutput();
  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (rank[lvl] < rank[level] || outputGone) return;
    const line = { ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    process.stderr.write(JSON.stringify(line, errorReplacer) + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (f) => createLogger(level, { ...base, ...f }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
