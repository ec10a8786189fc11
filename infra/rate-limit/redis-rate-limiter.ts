import type { Redis } from 'ioredis';
import type { RateLimiter } from './rate-limiter.js';

/** Increment and, on the first hit of a window, set its expiry: one atomic step, whatever the Redis version. */
const HIT = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

export class RedisRateLimiter implements RateLimiter {
  /** Over the process's shared connection (see connectRedis), which its owner closes. */
  constructor(private readonly redis: Redis) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAtMs: number }> {
    const resetAtMs = (Math.floor(Date.now() / windowMs) + 1) * windowMs;
    const count = Number(await this.redis.eval(HIT, 1, `psicopay:rl:${key}:${resetAtMs}`, String(windowMs)));
    return { count, resetAtMs };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
