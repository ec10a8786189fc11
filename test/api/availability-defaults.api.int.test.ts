import { describe, expect, it } from 'vitest';
import { MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

/** The public calendar without dates: the next 7 days from today in the therapist's own zone. */
describe('Public availability without a range', () => {
  const given = useTestService({ now: MONDAY_8AM });

  it('answers the next 7 days, starting today where the therapist is', async () => {
    const therapist = await openTherapist(given.service);
    // 01:30 UTC on Tuesday is still Monday evening in Buenos Aires.
    given.clock.set('2027-03-02T01:30:00.000Z');
    const res = await given.service.request('GET', `/api/public/availability?slug=${therapist.slug}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ start: '2027-03-01', end: '2027-03-07' });
    const tuesday = (res.json.days as { date: string; slots: { time: string; status: string }[] }[]).find((d) => d.date === '2027-03-02');
    expect(tuesday?.slots.map((s) => [s.time, s.status])).toEqual([['09:00', 'available'], ['10:00', 'available'], ['11:00', 'available']]);
  });

  it('refuses a start without an end (and the other way round), naming the missing one', async () => {
    const therapist = await openTherapist(given.service);
    const onlyStart = await given.service.request('GET', `/api/public/availability?slug=${therapist.slug}&start=2027-03-01`);
    expect(onlyStart.status).toBe(400);
    expect(onlyStart.json).toMatchObject({ errors: [{ field: 'end' }] });
    const onlyEnd = await given.service.request('GET', `/api/public/availability?slug=${therapist.slug}&end=2027-03-01`);
    expect(onlyEnd.json).toMatchObject({ errors: [{ field: 'start' }] });
  });
});
