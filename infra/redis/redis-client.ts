import { Redis } from 'ioredis';

/**
 * The one Redis connection of a process (REDIS_URL), shared by the availability cache and the rate
 * limiter. Fails fast on a bad URL at start; afterwards commands fail fast instead of queueing while
 * disconnected, since both users treat Redis as optional (a cache miss, a request let through).
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
