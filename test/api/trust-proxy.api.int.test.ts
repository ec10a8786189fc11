import { describe, expect, it } from 'vitest';
import { useTestService } from '../support/service.js';

/**
 * Rate limits count per client address. Behind a load balancer every request comes from the
 * balancer, so the client's address is the one it forwards, believed only from proxies TRUST_PROXY
 * names. Here the "balancer" is this test, on loopback.
 */
describe.each([
  ['TRUST_PROXY=false: a forwarded address is not believed, everyone shares the connecting address', 'false', ['2', '1']],
  ['TRUST_PROXY=loopback (the default): each forwarded client has a bucket of its own', 'loopback', ['2', '2']],
  ['TRUST_PROXY=1 (one proxy hop): each forwarded client has a bucket of its own', '1', ['2', '2']],
] as const)('%s', (_title, trust, remaining) => {
  const given = useTestService({ env: { TRUST_PROXY: trust, RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: '3' } });

  it('counts two clients behind the proxy accordingly', async () => {
    const seen: (string | null)[] = [];
    for (const client of ['203.0.113.7', '198.51.100.23']) {
      const res = await given.service.request('POST', '/api/public/bookings', { body: {}, headers: { 'X-Forwarded-For': client } });
      expect(res.status).toBe(422);
      seen.push(res.headers.get('ratelimit-remaining'));
    }
    expect(seen).toEqual(remaining);
  });
});
