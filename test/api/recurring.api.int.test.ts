import { describe, expect, it } from 'vitest';
import { runRecurringGeneration } from '../../commands/recurring-generation.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService, type TestService } from '../support/service.js';
import { newestCommittedPosition } from '../support/log-position.js';

/** A therapist open on Tuesdays 09:00–12:00, with a patient registered directly. */
async function practice(service: TestService) {
  const therapist = await openTherapist(service);
  const patient = await service.request('POST', '/api/patients', { token: therapist.token, body: { name: 'Ana Gómez', email: `ana.${therapist.slug}@example.com`, phone: '+5491155550000' } });
  expect(patient.status).toBe(201);
  return { ...therapist, patientId: String(patient.json.id) };
}

const weeklyTuesday = (patientId: string, extra: Record<string, unknown> = {}) => ({ patientId, frequency: 'weekly', dayOfWeek: 2, time: '10:00', startDate: '2027-03-02', ...extra });

/** Given a practice, when a request, then the answer and the therapist's stream (issue 12, over HTTP). */
describe('Recurring sessions over HTTP', () => {
  const running = useTestService({ now: MONDAY_8AM });
  // A run, then the read models caught up with it (the run answers no position of its own).
  const generate = async () => {
    const { services } = running.service;
    const summary = await runRecurringGeneration(services, { trigger: 'test' });
    await services.projections.waitFor(await newestCommittedPosition(services.db), { timeoutMs: 10_000 });
    return summary;
  };
  const slotStatus = async (therapistId: string, date: string, time: string) => {
    const res = await running.service.request('GET', `/api/public/availability?therapistId=${therapistId}&start=${date}&end=${date}`);
    return (res.json.days as { slots: { time: string; status: string }[] }[])[0]?.slots.find((s) => s.time === time)?.status;
  };
  const streamTypes = async (therapistId: string) => (await running.service.services.store.readStream(`therapist-${therapistId}`)).map((e) => e.type);

  it('configures a weekly recurrence as an RFC 5545 rule in the therapist’s zone, priced from the therapist by default', async () => {
    const { service } = running;
    const p = await practice(service);
    const created = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ frequency: 'weekly', dayOfWeek: 2, time: '10:00', price: 15000, status: 'active', timezone: 'America/Argentina/Buenos_Aires', paymentReminders: { enabled: true, daysBefore: 3 } });
    expect(String(created.json.rule)).toMatch(/RRULE:FREQ=WEEKLY;.*BYDAY=TU/);
    const listed = await service.request('GET', `/api/recurring/${p.patientId}`, { token: p.token });
    expect((listed.json.recurrences as { id: string }[]).map((r) => r.id)).toEqual([created.json.id]);
    expect(await streamTypes(p.id)).toContain('RecurrenceConfigured');
  });

  it('generates the coming week at once when a recurrence is configured, not at the next midnight', async () => {
    const { service } = running;
    const p = await practice(service);
    await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    const sessions = await service.request('GET', '/api/sessions?from=2027-03-01T00:00:00Z&to=2027-03-31T00:00:00Z', { token: p.token });
    expect((sessions.json.sessions as { startsAt: string; paymentStatus: string }[]).map((x) => [x.startsAt, x.paymentStatus])).toEqual([['2027-03-02T13:00:00.000Z', 'pending']]);
  });

  it("stops a forgotten patient's recurrences: no new session is generated for someone forgotten", async () => {
    const { service } = running;
    const p = await practice(service);
    const recurrence = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    expect((await service.request('POST', `/api/patients/${p.patientId}/forget`, { token: p.token })).status).toBe(200);
    const listed = await service.request('GET', `/api/recurring/${p.patientId}`, { token: p.token });
    expect((listed.json.recurrences as { id: string; status: string }[]).map((r) => [r.id, r.status])).toEqual([[recurrence.json.id, 'stopped']]);
    expect(await slotStatus(p.id, '2027-03-16', '10:00')).toBe('available');
  });

  it("marks only the therapist's own notifications read", async () => {
    const { service } = running;
    const a = await practice(service);
    const b = await practice(service);
    await service.request('POST', '/api/public/bookings', { body: bookingBody(a.id, '09:00') });
    const unread = async (token: string) => ((await service.request('GET', '/api/notifications?unread=true', { token })).json.notifications as { id: string }[]).map((n) => n.id);
    await expect.poll(() => unread(a.token)).toHaveLength(1);
    const ids = await unread(a.token);
    expect((await service.request('POST', '/api/notifications/read', { token: b.token, body: { ids } })).status).toBe(204);
    expect(await unread(a.token)).toEqual(ids);
    await service.request('POST', '/api/notifications/read', { token: a.token, body: { ids } });
    expect(await unread(a.token)).toEqual([]);
  });

  it('refuses to move the calendar to another time zone under live recurrences (their sessions would shift)', async () => {
    const { service } = running;
    const p = await practice(service);
    await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    const moved = await service.request('PUT', '/api/availability/settings', { token: p.token, body: { timezone: 'Europe/Madrid' } });
    expect(moved.status).toBe(409);
    expect(moved.json).toMatchObject({ code: 'recurrences_in_zone' });
  });

  it('refuses a second recurrence closer to the first than the buffers allow (it would be skipped every week)', async () => {
    const { service } = running;
    const p = await practice(service);
    await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    // 10:00 + 50 minutes + the 10-minute buffer after: 10:55 is too close.
    const close = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId, { time: '10:55' }) });
    expect(close.json).toMatchObject({ code: 'recurrence_clash' });
    expect((await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId, { time: '11:00' }) })).status).toBe(201);
  });

  it('answers a retried configuration or manual session under the same Idempotency-Key with the first answer, writing once', async () => {
    const { service } = running;
    const p = await practice(service);
    const headers = { 'Idempotency-Key': `weekly-${p.id}` };
    const first = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId), headers });
    const retry = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId), headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.json.id).toBe(first.json.id);
    const session = { patientId: p.patientId, date: '2027-03-02', time: '11:00' };
    const booked = await service.request('POST', '/api/sessions', { token: p.token, body: session, headers: { 'Idempotency-Key': `manual-${p.id}` } });
    const again = await service.request('POST', '/api/sessions', { token: p.token, body: session, headers: { 'Idempotency-Key': `manual-${p.id}` } });
    expect([booked.status, again.status, again.json.id]).toEqual([201, 201, booked.json.id]);
    const types = await streamTypes(p.id);
    expect(types.filter((t) => t === 'RecurrenceConfigured')).toHaveLength(1);
    expect((await service.services.store.readStream(`therapist-${p.id}`)).filter((e) => e.type === 'SessionScheduled' && (e.data as { source: string }).source === 'manual')).toHaveLength(1);
  });

  it('refuses invalid combinations field by field', async () => {
    const { service } = running;
    const p = await practice(service);
    const refused = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId, { frequency: 'custom', endDate: '2027-01-01' }) });
    expect(refused.status).toBe(422);
    expect((refused.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['dayOfWeek', 'endDate', 'intervalDays']);
  });

  it("keeps a recurrence's future slots from patients: shown booked, and a booking request for one is refused", async () => {
    const { service } = running;
    const p = await practice(service);
    expect(await slotStatus(p.id, '2027-03-16', '10:00')).toBe('available');
    await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    expect(await slotStatus(p.id, '2027-03-16', '10:00')).toBe('booked');
    expect(await slotStatus(p.id, '2027-03-16', '11:00')).toBe('available');
    const booking = await service.request('POST', '/api/public/bookings', { body: bookingBody(p.id, '10:00', { requestedDate: '2027-03-16' }) });
    expect(booking.status).toBe(409);
    expect(booking.json).toMatchObject({ code: 'slot_unavailable' });
    expect(await streamTypes(p.id)).not.toContain('BookingRequested');
  });

  it("lets the therapist's own session take a reserved slot: that occurrence is skipped and the therapist notified, not the patient", async () => {
    const { service, clock } = running;
    const p = await practice(service);
    const recurrence = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    const manual = await service.request('POST', '/api/sessions', { token: p.token, body: { patientId: p.patientId, date: '2027-03-09', time: '10:00' } });
    expect(manual.status).toBe(201);
    // The day the 9th comes within the 7 days ahead.
    clock.set('2027-03-02T03:00:00.000Z');
    await generate();
    const occurrences = await service.request('GET', `/api/recurring/${String(recurrence.json.id)}/occurrences?from=2027-03-01&to=2027-03-16`, { token: p.token });
    expect((occurrences.json.occurrences as { date: string; status: string; reasons?: string[] }[]).map((o) => [o.date, o.status, o.reasons ?? []])).toEqual([
      ['2027-03-02', 'generated', []],
      ['2027-03-09', 'skipped', ['overlaps_session']],
      ['2027-03-16', 'to_be_generated', []],
    ]);
    await expect.poll(async () => ((await service.request('GET', '/api/notifications?unread=true', { token: p.token })).json.notifications as { kind: string; occurrenceDate: string | null }[]).filter((n) => n.kind === 'recurring_session_skipped').map((n) => n.occurrenceDate)).toEqual(['2027-03-09']);
  });

  it('generates 60 days of a weekly recurrence day by day, exactly once each, never in the past, with no backfill after a pause', async () => {
    const { service, clock } = running;
    const p = await practice(service);
    const recurrence = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    const id = String(recurrence.json.id);
    for (let day = 0; day < 60; day++) {
      // 00:00 in Buenos Aires (UTC−3) each day, as the daily job runs; three days of downtime in the middle.
      if (day >= 20 && day < 23) continue;
      clock.set(new Date(Date.parse('2027-03-01T03:00:00.000Z') + day * 86_400_000).toISOString());
      if (day === 30) await service.request('POST', `/api/recurring/${id}/pause`, { token: p.token });
      if (day === 45) await service.request('POST', `/api/recurring/${id}/resume`, { token: p.token });
      await generate();
      // The same day again: nothing new.
      expect((await generate()).generated).toBe(0);
    }
    const scheduled = (await service.services.store.readStream(`therapist-${p.id}`)).filter((e) => e.type === 'SessionScheduled').map((e) => (e.data as { occurrenceDate: string }).occurrenceDate);
    // Tuesdays from 03-02 to the last within 7 days of day 59 (04-29 → 05-06), minus the paused ones: generated up to day 29 (→ 04-07 window), resumed day 45 (04-15).
    expect(scheduled).toEqual(['2027-03-02', '2027-03-09', '2027-03-16', '2027-03-23', '2027-03-30', '2027-04-06', '2027-04-20', '2027-04-27', '2027-05-04']);
    expect(new Set(scheduled).size).toBe(scheduled.length);
  });

  it('marks a generated session paid: its payment status and the patient’s statistics follow', async () => {
    const { service, clock } = running;
    const p = await practice(service);
    await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    await generate();
    const sessions = await service.request('GET', '/api/sessions?from=2027-03-01T00:00:00Z&to=2027-03-08T00:00:00Z', { token: p.token });
    const [session] = sessions.json.sessions as { id: string; paymentStatus: string }[];
    expect(session?.paymentStatus).toBe('pending');
    const paid = await service.request('POST', `/api/sessions/${String(session?.id)}/payment-received`, { token: p.token, body: { reference: 'TRX-77' } });
    expect(paid.json).toMatchObject({ paymentStatus: 'paid' });
    clock.set('2027-03-03T12:00:00.000Z');
    const patient = await service.request('GET', `/api/patients/${p.patientId}`, { token: p.token });
    expect(patient.json.statistics).toMatchObject({ totalPaid: 15000, outstandingBalance: 0 });
  });

  it('asks before moving generated unpaid sessions to a new time, and moves them only when told to', async () => {
    const { service } = running;
    const p = await practice(service);
    const recurrence = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    const id = String(recurrence.json.id);
    await generate();
    const asked = await service.request('PUT', `/api/recurring/${id}`, { token: p.token, body: { frequency: 'weekly', dayOfWeek: 2, time: '11:00', startDate: '2027-03-02' } });
    expect(asked.json).toMatchObject({ pendingSessions: 1, rescheduled: 0 });
    const applied = await service.request('PUT', `/api/recurring/${id}`, { token: p.token, body: { frequency: 'weekly', dayOfWeek: 2, time: '11:00', startDate: '2027-03-02', applyToPending: true } });
    expect(applied.json).toMatchObject({ pendingSessions: 1, rescheduled: 1 });
    const sessions = await service.request('GET', '/api/sessions?from=2027-03-01T00:00:00Z&to=2027-03-08T00:00:00Z', { token: p.token });
    expect((sessions.json.sessions as { startsAt: string }[]).map((s) => s.startsAt)).toEqual(['2027-03-02T14:00:00.000Z']);
    expect(await slotStatus(p.id, '2027-03-16', '11:00')).toBe('booked');
    expect(await slotStatus(p.id, '2027-03-16', '10:00')).toBe('available');
  });

  it('stops a recurrence: no more occurrences, the generated session stays, and the freed slots can be booked', async () => {
    const { service } = running;
    const p = await practice(service);
    const recurrence = await service.request('POST', '/api/recurring', { token: p.token, body: weeklyTuesday(p.patientId) });
    await generate();
    const stopped = await service.request('DELETE', `/api/recurring/${String(recurrence.json.id)}`, { token: p.token });
    expect(stopped.json).toMatchObject({ status: 'stopped' });
    expect(await slotStatus(p.id, '2027-03-02', '10:00')).not.toBe('available');
    expect(await slotStatus(p.id, '2027-03-16', '10:00')).toBe('available');
  });
});
