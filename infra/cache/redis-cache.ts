import type { Redis } from 'ioredis';
import type { Cache } from './cache.js';

/**
 * The cache on Redis. A cache is an optimisation: when Redis is down, reads miss and writes are
 * dropped (never surfaced as a failed request).
 */
export class RedisCache implements Cache {
  readonly kind = 'redis';

  /** Over the process's shared connection (see connectRedis), which its owner closes. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'psicopay:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.set(this.prefix + key, value, 'EX', ttlSeconds);
    } catch {
      // A dropped cache write costs one recomputation, nothing more.
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
