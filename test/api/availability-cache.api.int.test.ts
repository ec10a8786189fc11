import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { startTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const redisUrl = inject('redisUrl');

/** Runs the same freshness specification over the in-process cache and over real Redis. */
for (const [label, env] of [
  ['in-process cache', {}],
  ['Redis cache', { REDIS_URL: redisUrl }],
] as const) {
  const suite = label === 'Redis cache' && !redisUrl ? describe.skip : describe;
  suite(`Availability caching (${label}${label === 'Redis cache' && !redisUrl ? ' — skipped: no redis-server installed' : ''})`, () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService({ clock: new ManualClock('2027-03-01T11:00:00.000Z'), env });
    });
    afterAll(async () => {
      await service.close();
    });

    it('serves repeated queries from the cache, and shows a change to the very next query after its projection', async () => {
      expect(service.services.cache.kind).toBe(label === 'Redis cache' ? 'redis' : 'memory');
      const therapist = await aTherapist(service.services);
      await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] } });
      const query = `/api/public/availability?therapistId=${therapist.id}&start=2027-03-02&end=2027-03-02`;
      const first = await service.request('GET', query);
      const second = await service.request('GET', query);
      expect(first.json.freshness).toMatchObject({ cached: false });
      expect(second.json.freshness).toMatchObject({ cached: true, calendarRevision: (first.json.freshness as { calendarRevision: number }).calendarRevision });
      expect(second.json.days).toEqual(first.json.days);

      await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2027-03-02', startTime: '09:00', endTime: '10:00' } });
      const third = await service.request('GET', query);
      expect(third.json.freshness).toMatchObject({ cached: false });
      expect((third.json.days as { slots: { time: string }[] }[])[0]?.slots.map((s) => s.time)).toEqual(['10:00', '11:00']);
    });
  });
}
