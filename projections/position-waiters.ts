import { comparePositions, type LogPosition } from '../infra/event-store/event-store.js';

/** Where one projection stands, as far as a waiter cares. */
export interface Place {
  readonly name: string;
  readonly status: 'starting' | 'running' | 'failed' | 'stopped';
  readonly position: LogPosition;
}

interface Waiter {
  readonly position: LogPosition;
  readonly names: readonly string[] | undefined;
  readonly resolve: () => void;
}

/** Callers waiting for projections to reach a position (a write's read-your-writes, a rebuild's end). */
export class PositionWaiters {
  private waiters: Waiter[] = [];

  constructor(private readonly places: () => Iterable<Place>) {}

  /** Resolves once the named projections (default: all) have handled the log up to `position`. */
  waitFor(position: LogPosition, options: { names?: readonly string[]; timeoutMs?: number } = {}): Promise<void> {
    if (this.reached(position, options.names)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { position, names: options.names, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('Timed out waiting for projections to catch up'));
      }, options.timeoutMs ?? 10_000);
      this.waiters.push(waiter);
    });
  }

  /** Called whenever a projection moved. */
  wake(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.reached(waiter.position, waiter.names)) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private reached(position: LogPosition, names: readonly string[] | undefined): boolean {
    // A failed or stopped projection will not move: waiting for it would only stall every writer.
    return [...this.places()]
      .filter((p) => (!names || names.includes(p.name)) && p.status !== 'failed' && p.status !== 'stopped')
      .every((p) => comparePositions(p.position, position) >= 0);
  }
}
