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
    ['BOOKING_PAYMENT_TIMEOUT_HOURS', '0', /BOOKING_PAYMENT_TIMEOUT_HOURS/],
    ['TRUST_PROXY', 'the-load-balancer', /TRUST_PROXY must be true, false, a number of proxy hops/],
    ['TRUST_PROXY', '10.0.0.0/33', /TRUST_PROXY/],
    ['DATA_ENCRYPTION_KEY', 'c2hvcnQ=', /DATA_ENCRYPTION_KEY must be 32 bytes in base64/],
  ])('rejects %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads TRUST_PROXY as express does: loopback by default, or booleans, hops and address lists', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, 192.168.1.10' }).trustProxy).toBe('loopback,10.0.0.0/8,fd00::/8,192.168.1.10');
  });

  it('gives a started payment 48 hours by default (BOOKING_PAYMENT_TIMEOUT_HOURS)', () => {
    expect(loadConfig({}).booking.paymentTimeoutMinutes).toBe(48 * 60);
    expect(loadConfig({ BOOKING_PAYMENT_TIMEOUT_HOURS: '6' }).booking.paymentTimeoutMinutes).toBe(360);
  });
});
