import { Redis } from 'ioredis';
import type { RateLimiter } from './rate-limiter.js';

/** Increment and, on the first hit of a window, set its expiry: one atomic step, whatever the Redis version. */
const HIT = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

export class RedisRateLimiter implements RateLimiter {
  private constructor(private readonly redis: Redis) {}

  static async connect(url: string): Promise<RedisRateLimiter> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 });
    redis.on('error', () => undefined);
    await redis.connect();
    return new RedisRateLimiter(redis);
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAtMs: number }> {
    const resetAtMs = (Math.floor(Date.now() / windowMs) + 1) * windowMs;
    const count = Number(await this.redis.eval(HIT, 1, `psicopay:rl:${key}:${resetAtMs}`, String(windowMs)));
    return { count, resetAtMs };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
