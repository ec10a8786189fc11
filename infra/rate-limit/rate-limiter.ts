/** Fixed-window counters: Redis when REDIS_URL is set (shared by every API process), in process otherwise. */
export interface RateLimiter {
  /** Counts one hit for `key` in the current window of `windowMs`; answers how many so far and when the window ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAtMs: number }>;
  close(): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAtMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  hit(key: string, windowMs: number): Promise<{ count: number; resetAtMs: number }> {
    const now = this.now();
    const resetAtMs = (Math.floor(now / windowMs) + 1) * windowMs;
    const current = this.windows.get(key);
    const window = current && current.resetAtMs === resetAtMs ? current : { count: 0, resetAtMs };
    window.count += 1;
    this.windows.set(key, window);
    // Ended windows are dropped as the map grows, so memory follows the clients of the current hour.
    if (this.windows.size > 10_000) {
      for (const [k, w] of this.windows) if (w.resetAtMs <= now) this.windows.delete(k);
    }
    return Promise.resolve({ count: window.count, resetAtMs });
  }

  close(): Promise<void> {
    this.windows.clear();
    return Promise.resolve();
  }
}
