/** What the load process is asked to do (sent as JSON on its stdin) and what it answers (JSON on stdout). */
export interface HttpRequestSpec {
  /** Overrides the spec's baseUrl: one sequence may alternate between two services. */
  readonly baseUrl?: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** autocannon: `connections` keep-alive connections; paths rotate; each body is sent once, in order. */
export interface CannonSpec {
  readonly kind: 'cannon';
  readonly baseUrl: string;
  readonly connections: number;
  readonly durationSec?: number;
  readonly amount?: number;
  readonly maxConnectionRequests?: number;
  readonly method: 'GET' | 'POST';
  readonly paths: readonly string[];
  readonly bodies?: readonly unknown[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutSec?: number;
}

/** One request after the other on one keep-alive connection: latency without queueing. */
export interface SequentialSpec {
  readonly kind: 'sequential';
  readonly baseUrl: string;
  readonly requests: readonly HttpRequestSpec[];
}

export type LoadSpec = CannonSpec | SequentialSpec;

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly wallMs: number;
  readonly rps: number;
  /** Milliseconds, from each response's own timing (not the 1 ms histogram). */
  readonly latency: LatencySummary;
  /** Per-request latencies, ms, in the order the answers came.  */
  readonly samples?: readonly number[];
  readonly statuses: Readonly<Record<string, number>>;
  /** `code` of problem+json answers, counted. */
  readonly problemCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  readonly meanResponseBytes: number;
  /** CPU the load generator itself used, ms: on a 2-core machine it competes with the service. */
  readonly loadCpuMs: number;
}
