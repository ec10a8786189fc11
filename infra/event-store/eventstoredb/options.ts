/** What ops see of events in $all that are not ours (written by another application or the web UI). */
export interface ForeignEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  /** Why it is not ours: no metadata, metadata that is not JSON, no schemaVersion, data that is not JSON. */
  readonly reason: string;
}

export interface EventStoreDbOptions {
  /**
   * Each bounds one call with its own timer, which cancels the call when it fires.
   * A read's bound is on silence: it fires when nothing arrived for that long, so a long page is not cut short.
   */
  readonly timeouts?: {
    readonly pingMs?: number;
    readonly readMs?: number;
    readonly appendMs?: number;
  };
  /** A dropped subscription waits before resubscribing: doubling from the initial delay up to the maximum, jittered. */
  readonly resubscribe?: {
    readonly initialDelayMs?: number;
    readonly maxDelayMs?: number;
  };
  /** Called for every foreign event skipped, e.g. to log it; it is counted in health() either way. */
  readonly onForeignEvent?: (event: ForeignEvent) => void;
}

export interface ResolvedOptions {
  readonly pingMs: number;
  readonly readMs: number;
  readonly appendMs: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** A ping gives up before /ready's own 2 s bound does, so its call is cancelled, not left behind. */
export const DEFAULTS: ResolvedOptions = { pingMs: 1500, readMs: 10_000, appendMs: 10_000, initialDelayMs: 100, maxDelayMs: 5000 };

export function resolveOptions(options: EventStoreDbOptions): ResolvedOptions {
  const resolved = { ...DEFAULTS, ...definedOnly(options.timeouts ?? {}), ...definedOnly(options.resubscribe ?? {}) };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`EventStoreDB option ${name} must be a positive number of milliseconds, not ${value}`);
  }
  if (resolved.maxDelayMs < resolved.initialDelayMs) throw new Error('EventStoreDB option maxDelayMs must not be below initialDelayMs');
  return resolved;
}

/** The pause before resubscription attempt `attempt` (0-based): exponential, capped, with the upper half jittered. */
export function backoffDelay(attempt: number, options: Pick<ResolvedOptions, 'initialDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * With `throwOnAppendFailure=false` the client resolves a refused append with `success: false` and a revision
 * that looks valid. The option is forced on (a later query parameter wins in the client's parser), and
 * `success` is checked anyway.
 */
export function withThrowOnAppendFailure(connectionString: string): string {
  const trimmed = connectionString.trim().replace(/\/+$/, '');
  // A password may contain "?": skip the credentials as the client's parser does, then look for the query.
  const afterProtocol = trimmed.slice(trimmed.indexOf('://') + 3);
  const rest = afterProtocol.replace(/^[^:]+:[^@]+@/, '');
  return `${trimmed}${rest.includes('?') ? '&' : '?'}throwOnAppendFailure=true`;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
