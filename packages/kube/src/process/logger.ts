// Every Herald program logs JSON lines with pino, tagged with its component (and node or identity).

import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export interface LoggerOptions {
  readonly level: string;
  /** Fields on every line, e.g. { component: 'herald-speaker', node }. */
  readonly base?: Record<string, unknown>;
  /** File descriptor to write to (default 1, stdout; heraldctl keeps stdout for its own output and uses 2). */
  readonly fd?: 1 | 2;
}

export function createLogger(o: LoggerOptions): Logger {
  const options = { level: o.level, ...(o.base === undefined ? {} : { base: o.base }) };
  return o.fd === 2 ? pino(options, pino.destination(2)) : pino(options);
}
