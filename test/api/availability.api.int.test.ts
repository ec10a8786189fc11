import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { startTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

interface SlotJson {
  time: string;
  startsAt: string;
  endsAt: string;
  status: string;
}
interface DayJson {
  date: string;
  slots: SlotJson[];
}

/** Monday 2027-03-01 08:00 in Buenos Aires (UTC−3). */
const NOW = '2027-03-01T11:00:00.000Z';

describe('Availability API: from a weekly schedule to the public calendar', () => {
  let service: TestService;
  const clock = new ManualClock(NOW);

  beforeAll(async () => {
    service = await startTestService({ clock });
  });
  afterAll(async () => {
    await service.close();
  });
  // Every specification starts at NOW, wherever the one before left the clock (also when it failed half-way).
  beforeEach(() => clock.set(NOW));

  const publicDays = async (query: string): Promise<DayJson[]> => {
    const res = await service.request('GET', `/api/public/availability?${query}`);
    expect(res.status).toBe(200);
    return res.json.days as DayJson[];
  };

  it('publishes the slots of a new weekly schedule, with their status, in the therapist time zone', async () => {
    const therapist = await aTherapist(service.services);
    const defined = await service.request('POST', '/api/availability/rules', {
      token: therapist.token,
      body: { rules: [{ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }, { dayOfWeek: 2, startTime: '14:00', endTime: '16:00' }] },
    });
    expect(defined.status).toBe(200);
    expect(defined.json.rules).toHaveLength(2);
    expect(defined.json.warnings).toEqual([]);

    const listed = await service.request('GET', '/api/availability/rules', { token: therapist.token });
    expect(listed.json.rules).toEqual([
      expect.objectContaining({ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }),
      expect.objectContaining({ dayOfWeek: 2, startTime: '14:00', endTime: '16:00' }),
    ]);

    const res = await service.request('GET', `/api/public/availability?slug=${therapist.slug}&start=2027-03-01&end=2027-03-02`);
    expect(res.json).toMatchObject({ therapistId: therapist.id, timezone: 'America/Argentina/Buenos_Aires', start: '2027-03-01', end: '2027-03-02' });
    expect(res.json.freshness).toMatchObject({ calendarRevision: expect.any(Number) as unknown });
    const [monday, tuesday] = res.json.days as DayJson[];
    expect(monday).toEqual({ date: '2027-03-01', slots: [] });
    // 50-minute sessions with 10 minutes after: 09:00, 10:00, 11:00 then 14:00, 15:00.
    expect(tuesday?.slots.map((s) => [s.time, s.status])).toEqual([
      ['09:00', 'available'],
      ['10:00', 'available'],
      ['11:00', 'available'],
      ['14:00', 'available'],
      ['15:00', 'available'],
    ]);
    expect(tuesday?.slots[0]).toMatchObject({ startsAt: '2027-03-02T12:00:00.000Z', endsAt: '2027-03-02T12:50:00.000Z' });
  });

  it('takes an exception’s slots away as soon as it is added, and gives them back when it is removed', async () => {
    const therapist = await aTherapist(service.services);
    await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 3, startTime: '09:00', endTime: '13:00' }] } });
    const before = await publicDays(`therapistId=${therapist.id}&start=2027-03-03&end=2027-03-03`);
    expect(before[0]?.slots.map((s) => s.time)).toEqual(['09:00', '10:00', '11:00', '12:00']);

    const partial = await service.request('POST', '/api/availability/exceptions', {
      token: therapist.token,
      body: { date: '2027-03-03', startTime: '10:30', endTime: '11:30', reason: '<b>Dentista</b>' },
    });
    expect(partial.status).toBe(201);
    expect(partial.json).toMatchObject({ id: expect.any(String) as unknown, warnings: [], exception: { allDay: false, isAvailable: false, reason: 'Dentista' } });
    const afterPartial = await publicDays(`therapistId=${therapist.id}&start=2027-03-03&end=2027-03-03`);
    // Slots never cross the blocked range, buffers included; the open time after it starts at 11:30.
    expect(afterPartial[0]?.slots.map((s) => s.time)).toEqual(['09:00', '11:30']);

    const vacation = await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2027-03-03', allDay: true, reason: 'Vacaciones' } });
    expect((await publicDays(`therapistId=${therapist.id}&start=2027-03-03&end=2027-03-03`))[0]?.slots).toEqual([]);

    const listed = await service.request('GET', '/api/availability/exceptions', { token: therapist.token });
    expect((listed.json.exceptions as unknown[]).length).toBe(2);

    for (const id of [partial.json.id, vacation.json.id]) {
      expect((await service.request('DELETE', `/api/availability/exceptions/${String(id)}`, { token: therapist.token })).status).toBe(204);
    }
    expect((await publicDays(`therapistId=${therapist.id}&start=2027-03-03&end=2027-03-03`))[0]?.slots.map((s) => s.time)).toEqual(['09:00', '10:00', '11:00', '12:00']);
  });

  it('opens a date outside the weekly rules with an extra-availability exception', async () => {
    const therapist = await aTherapist(service.services);
    await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2027-03-06', startTime: '10:00', endTime: '12:00', isAvailable: true } });
    expect((await publicDays(`therapistId=${therapist.id}&start=2027-03-06&end=2027-03-06`))[0]?.slots.map((s) => s.time)).toEqual(['10:00', '11:00']);
  });

  it('applies changed settings to the next query, and warns when buffers leave a block with no slot (EC-AV-003)', async () => {
    const therapist = await aTherapist(service.services);
    await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 4, startTime: '09:00', endTime: '10:00' }, { dayOfWeek: 4, startTime: '15:00', endTime: '18:00' }] } });
    const changed = await service.request('PUT', '/api/availability/settings', { token: therapist.token, body: { bufferAfterMinutes: 15 } });
    expect(changed.status).toBe(200);
    expect(changed.json.settings).toMatchObject({ sessionDurationMinutes: 50, bufferAfterMinutes: 15, bufferBeforeMinutes: 0, timezone: 'America/Argentina/Buenos_Aires' });
    expect(changed.json.warnings).toEqual([expect.objectContaining({ code: 'no_bookable_slots', blocks: [{ dayOfWeek: 4, startTime: '09:00', endTime: '10:00' }] })]);
    expect((await publicDays(`therapistId=${therapist.id}&start=2027-03-04&end=2027-03-04`))[0]?.slots.map((s) => s.time)).toEqual(['15:00', '16:05']);

    const settings = await service.request('GET', '/api/availability/settings', { token: therapist.token });
    expect(settings.json.settings).toMatchObject({ bufferAfterMinutes: 15 });
  });

  it('marks slots inside the minimum notice or past the horizon unavailable, as time passes, without any write', async () => {
    const therapist = await aTherapist(service.services);
    await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 1, startTime: '09:00', endTime: '12:00' }] } });
    const statuses = async () => (await publicDays(`therapistId=${therapist.id}&start=2027-03-01&end=2027-03-01`))[0]?.slots.map((s) => `${s.time} ${s.status}`);
    // 08:00 local now, notice 2 h: 09:00 is too soon, 10:00 and 11:00 are bookable.
    expect(await statuses()).toEqual(['09:00 unavailable', '10:00 available', '11:00 available']);
    clock.set('2027-03-01T11:30:00.000Z');
    expect(await statuses()).toEqual(['09:00 unavailable', '10:00 unavailable', '11:00 available']);
    clock.set(NOW);
    const farDays = await publicDays(`therapistId=${therapist.id}&start=2027-05-03&end=2027-05-03`);
    expect(farDays[0]?.slots.every((s) => s.status === 'unavailable')).toBe(true);
  });

  it('shows the therapist a 7-day preview of what patients see', async () => {
    const therapist = await aTherapist(service.services);
    await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 5, startTime: '09:00', endTime: '11:00' }] } });
    const preview = await service.request('GET', '/api/availability/preview', { token: therapist.token });
    expect(preview.status).toBe(200);
    const days = preview.json.days as DayJson[];
    expect(days.map((d) => d.date)).toEqual(['2027-03-01', '2027-03-02', '2027-03-03', '2027-03-04', '2027-03-05', '2027-03-06', '2027-03-07']);
    expect(days[4]?.slots.map((s) => s.time)).toEqual(['09:00', '10:00']);
  });

  it('removes one weekly block by id and keeps the ids of unchanged blocks when the schedule is replaced', async () => {
    const therapist = await aTherapist(service.services);
    const first = await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 1, startTime: '09:00', endTime: '12:00' }, { dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] } });
    const [monday, tuesday] = first.json.rules as { id: string }[];
    const second = await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 1, startTime: '09:00', endTime: '12:00' }, { dayOfWeek: 3, startTime: '09:00', endTime: '12:00' }] } });
    expect((second.json.rules as { id: string }[])[0]?.id).toBe(monday?.id);
    expect((await service.request('DELETE', `/api/availability/rules/${tuesday?.id ?? ''}`, { token: therapist.token })).status).toBe(404);
    expect((await service.request('DELETE', `/api/availability/rules/${monday?.id ?? ''}`, { token: therapist.token })).status).toBe(204);
    const listed = await service.request('GET', '/api/availability/rules', { token: therapist.token });
    expect(listed.json.rules).toEqual([expect.objectContaining({ dayOfWeek: 3 })]);
  });

  it('follows the therapist’s zone across a DST change: no slot in the skipped hour, UTC instants shift (Europe/Madrid)', async () => {
    const therapist = await aTherapist(service.services, { timezone: 'Europe/Madrid' });
    await service.request('PUT', '/api/availability/settings', { token: therapist.token, body: { sessionDurationMinutes: 30, bufferAfterMinutes: 0 } });
    await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 0, startTime: '01:00', endTime: '05:00' }] } });
    // Sunday 2027-03-28: clocks jump from 02:00 to 03:00 in Madrid.
    const res = await service.request('GET', `/api/public/availability?therapistId=${therapist.id}&start=2027-03-21&end=2027-03-28`);
    expect(res.json.timezone).toBe('Europe/Madrid');
    const days = res.json.days as DayJson[];
    const before = days.find((d) => d.date === '2027-03-21');
    const change = days.find((d) => d.date === '2027-03-28');
    expect(before?.slots.map((s) => [s.time, s.startsAt])).toEqual(
      ['01:00', '01:30', '02:00', '02:30', '03:00', '03:30', '04:00', '04:30'].map((t, i) => [t, new Date(Date.parse('2027-03-21T00:00:00Z') + i * 30 * 60_000).toISOString()]),
    );
    expect(change?.slots.map((s) => [s.time, s.startsAt])).toEqual([
      ['01:00', '2027-03-28T00:00:00.000Z'],
      ['01:30', '2027-03-28T00:30:00.000Z'],
      ['03:00', '2027-03-28T01:00:00.000Z'],
      ['03:30', '2027-03-28T01:30:00.000Z'],
      ['04:00', '2027-03-28T02:00:00.000Z'],
      ['04:30', '2027-03-28T02:30:00.000Z'],
    ]);
  });

  describe('rejections', () => {
    it('answers a schedule that breaks BR-AV-001 with a field-by-field 422 and changes nothing', async () => {
      const therapist = await aTherapist(service.services);
      const res = await service.request('POST', '/api/availability/rules', {
        token: therapist.token,
        body: {
          rules: [
            { dayOfWeek: 1, startTime: '09:00', endTime: '12:00' },
            { dayOfWeek: 1, startTime: '11:00', endTime: '13:00' },
            { dayOfWeek: 2, startTime: '12:00', endTime: '11:00' },
            { dayOfWeek: 3, startTime: '09:00', endTime: '09:20' },
            { dayOfWeek: 9, startTime: '25:00', endTime: '10:00' },
          ],
        },
      });
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const fields = (res.json.errors as { field: string }[]).map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['rules.1', 'rules.2.endTime', 'rules.3.endTime', 'rules.4.dayOfWeek', 'rules.4.startTime']));
      expect((res.json.errors as { field: string; message: string }[]).find((e) => e.field === 'rules.1')?.message).toContain('overlaps');
      expect((await service.request('GET', '/api/availability/rules', { token: therapist.token })).json.rules).toEqual([]);
    });

    it('answers bad settings and bad exceptions field by field', async () => {
      const therapist = await aTherapist(service.services);
      const settings = await service.request('PUT', '/api/availability/settings', { token: therapist.token, body: { sessionDurationMinutes: 47, timezone: 'Mars/Olympus', extra: 1 } });
      expect(settings.status).toBe(422);
      expect((settings.json.errors as { field: string }[]).map((e) => e.field)).toEqual(expect.arrayContaining(['extra']));
      const settings2 = await service.request('PUT', '/api/availability/settings', { token: therapist.token, body: { sessionDurationMinutes: 47, timezone: 'Mars/Olympus' } });
      expect((settings2.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['sessionDurationMinutes', 'timezone']);
      const exception = await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2027-02-30', startTime: '10:00' } });
      expect(exception.status).toBe(422);
      expect((exception.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['date', 'endTime']);
      const past = await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2027-02-27', allDay: true } });
      expect((past.json.errors as { field: string; message: string }[])[0]).toMatchObject({ field: 'date', message: 'The date is in the past' });
    });

    it('answers a malformed public query with a field-level 400', async () => {
      const therapist = await aTherapist(service.services);
      const cases: [string, string][] = [
        [`therapistId=${therapist.id}&start=2027-03-10&end=2027-03-01`, 'end'],
        [`therapistId=${therapist.id}&start=2027-03-01&end=2027-06-01`, 'end'],
        [`therapistId=${therapist.id}&start=tomorrow&end=2027-03-01`, 'start'],
        ['start=2027-03-01&end=2027-03-02', 'therapistId'],
        ['therapistId=not-a-uuid&start=2027-03-01&end=2027-03-02', 'therapistId'],
      ];
      for (const [query, field] of cases) {
        const res = await service.request('GET', `/api/public/availability?${query}`);
        expect(res.status, query).toBe(400);
        expect((res.json.errors as { field: string }[]).map((e) => e.field), query).toContain(field);
      }
      const unknown = await service.request('GET', '/api/public/availability?therapistId=00000000-0000-4000-8000-000000000000&start=2027-03-01&end=2027-03-02');
      expect(unknown.status).toBe(404);
    });

    it('requires the therapist token for management and refuses an unknown one', async () => {
      expect((await service.request('GET', '/api/availability/rules')).status).toBe(401);
      const res = await service.request('GET', '/api/availability/rules', { token: 'tk_nope' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    });
  });
});
