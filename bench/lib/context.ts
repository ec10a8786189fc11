import type { BenchCluster } from './cluster.js';
import type { QueriedTherapist } from './queried-therapist.js';

/** What every scenario gets: the cluster, the size, and data sets earlier scenarios left for later ones. */
export interface BenchContext {
  readonly cluster: BenchCluster;
  readonly quick: boolean;
  /** 1 for the full run, 0.1 for --quick: multiplies every data size and duration. */
  readonly scale: number;
  /** Database URLs by name, e.g. `avail` (scenario 1) and `big` (scenario 4), reused by scenario 6. */
  readonly databases: Map<string, string>;
  /** Scenario 1's therapist, seeded again into scenario 4's big store for scenario 6's comparison. */
  queried?: QueriedTherapist;
  log(message: string): void;
}

/** `n` scaled to the run's size, at least `min`. */
export function sized(ctx: BenchContext, n: number, min = 1): number {
  return Math.max(min, Math.round(n * ctx.scale));
}
