import { Redis } from 'ioredis';
import type { Cache } from './cache.js';

/**
 * The cache on Redis. A cache is an optimisation: when Redis is down, reads miss and writes are
 * dropped (logged by the caller's metrics, never surfaced as a failed request).
 */
export class RedisCache implements Cache {
  readonly kind = 'redis';

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, prefix = 'psicopay:'): Promise<RedisCache> {
    // Fail fast on a bad URL at start; later, commands fail fast instead of queueing while disconnected.
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return new RedisCache(redis, prefix);
  }

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

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
