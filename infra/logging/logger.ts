import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one logger passed down, children per component. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'psicopay-scheduling', ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
