import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('Configuration from the environment', () => {
  it('uses embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, databaseUrl: undefined, eventStoreUrl: undefined, mongodbUrl: undefined, redisUrl: undefined, booking: { holdMinutes: 10, expirationMinutes: 60 } });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it('switches to external services when their URLs are set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', EVENTSTORE_URL: 'esdb://es:2113?tls=false', MONGODB_URL: 'mongodb://m/a', REDIS_URL: 'redis://r:6379' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u:p@db:5432/x', eventStoreUrl: 'esdb://es:2113?tls=false', mongodbUrl: 'mongodb://m/a', redisUrl: 'redis://r:6379' });
  });

  it('refuses a hold that would outlive its booking request', () => {
    expect(() => loadConfig({ BOOKING_SOFT_LOCK_MINUTES: '90', BOOKING_EXPIRATION_MINUTES: '60' })).toThrow(/BOOKING_SOFT_LOCK_MINUTES must not exceed BOOKING_EXPIRATION_MINUTES/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });

  it.each([
    ['DATABASE_URL', 'nonsense', /DATABASE_URL must be a URL starting with postgres:\/\//],
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['REDIS_URL', 'http://x', /REDIS_URL must be a URL starting with redis:\/\//],
    ['DEFAULT_TIMEZONE', 'Mars/Olympus', /DEFAULT_TIMEZONE must be an IANA time zone/],
    ['BOOKING_SOFT_LOCK_MINUTES', '0', /BOOKING_SOFT_LOCK_MINUTES/],
  ])('rejects %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
