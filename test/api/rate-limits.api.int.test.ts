import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const redisUrl = inject('redisUrl');
const limits = { RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: '3', RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR: '5', RATE_LIMIT_THERAPIST_PER_HOUR: '4' };

for (const [label, env] of [
  ['in process', limits],
  ['on Redis', { ...limits, REDIS_URL: redisUrl }],
] as const) {
  const skipped = label === 'on Redis' && !redisUrl;
  (skipped ? describe.skip : describe)(`Rate limits (spec 8.1), counted ${label}${skipped ? ' — skipped: no redis-server installed' : ''}`, () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({ env });
    });
    afterAll(async () => {
      await service.close();
    });

    it('answers 429 with Retry-After once a client used up its public bookings, and says where it stands before that', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await service.request('POST', '/api/public/bookings', { body: {} });
        statuses.push(res.status);
        if (i === 0) expect(res.headers.get('ratelimit-remaining')).toBe('2');
        if (i === 3) {
          expect(res.headers.get('content-type')).toContain('application/problem+json');
          expect(res.json).toMatchObject({ status: 429, code: 'rate_limited' });
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        }
      }
      expect(statuses).toEqual([422, 422, 422, 429]);
    });

    it('limits the availability query per client, and the dashboard per therapist', async () => {
      const therapist = await aTherapist(service.services);
      const query = `/api/public/availability?therapistId=${therapist.id}&start=2027-03-01&end=2027-03-02`;
      const publicStatuses: number[] = [];
      for (let i = 0; i < 6; i++) publicStatuses.push((await service.request('GET', query)).status);
      expect(publicStatuses).toEqual([200, 200, 200, 200, 200, 429]);

      const other = await aTherapist(service.services);
      const dashboard: number[] = [];
      for (let i = 0; i < 5; i++) dashboard.push((await service.request('GET', '/api/availability/rules', { token: therapist.token })).status);
      expect(dashboard).toEqual([200, 200, 200, 200, 429]);
      expect((await service.request('GET', '/api/availability/rules', { token: other.token })).status).toBe(200);
    });
  });
}
