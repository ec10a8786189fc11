import { describe, expect, it } from 'vitest';
import { runRecurringGeneration } from '../../commands/recurring-generation.js';
import { keys } from '../../integrations/dispatch-plan.js';
import { MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService, type TestService } from '../support/service.js';

const WAIT = { timeout: 20_000, interval: 100 };

async function practice(service: TestService) {
  const therapist = await openTherapist(service);
  const patient = await service.request('POST', '/api/patients', { token: therapist.token, body: { name: 'Ana Gómez', email: `ana.${therapist.slug}@example.com`, phone: '+5491155550000' } });
  expect(patient.status).toBe(201);
  return { ...therapist, patientId: String(patient.json.id) };
}

/**
 * Given sessions on a calendar, when their reminders come due (the injected clock moves), then the
 * messages go out once each, at their time, and follow the session when it moves or is cancelled.
 * The local drivers stand in for Twilio, Google and Mercado Pago.
 */
describe('Reminders and payment links of sessions', () => {
  const running = useTestService({ now: MONDAY_8AM });
  const outbox = async (key: string) => (await running.service.services.db('app.integration_dispatches').where({ key }).first()) as { status: string; due_at: Date } | undefined;
  const sent = async (therapistId: string) =>
    (await running.service.services.store.readStream(`integrations-${therapistId}`)).filter((e) => e.type === 'MessageSent').map((e) => (e.data as { purpose: string; sessionId: string | null }).purpose);
  /** The dispatcher's next round, on the service's clock (its own loop may take the rows first: either way they are done once). */
  const dispatch = () => running.service.services.integrations.dispatcher.runDue();

  it('reminds a single unpaid session 24 h before and sends its Meet link 15 minutes before, once each', async () => {
    const { service, clock } = { service: running.service, clock: running.clock };
    const p = await practice(service);
    const created = await service.request('POST', '/api/sessions', { token: p.token, body: { patientId: p.patientId, date: '2027-03-02', time: '10:00' } });
    expect(created.status).toBe(201);
    const sessionId = String(created.json.id);
    await expect.poll(() => outbox(keys.message('whatsapp', 'payment_reminder', sessionId)), WAIT).toMatchObject({ status: 'pending', due_at: new Date('2027-03-01T13:00:00.000Z') });
    expect(await outbox(keys.message('whatsapp', 'meet_link', sessionId))).toMatchObject({ status: 'pending', due_at: new Date('2027-03-02T12:45:00.000Z') });
    // The calendar event (and so the Meet link) is made at once; the reminders wait for their time.
    await expect.poll(async () => (await outbox(keys.calendarCreate(sessionId)))?.status, WAIT).toBe('done');
    await dispatch();
    expect(await sent(p.id)).toEqual([]);

    clock.set('2027-03-01T13:00:01.000Z');
    await dispatch();
    await expect.poll(() => sent(p.id), WAIT).toEqual(['payment_reminder']);
    clock.set('2027-03-02T12:45:01.000Z');
    await dispatch();
    await expect.poll(() => sent(p.id), WAIT).toEqual(['payment_reminder', 'meet_link']);
    await dispatch();
    expect(await sent(p.id)).toEqual(['payment_reminder', 'meet_link']);
  });

  it('cancels what was pending about a cancelled session: no reminder, no Meet link, its calendar event deleted', async () => {
    const { service, clock } = { service: running.service, clock: running.clock };
    const p = await practice(service);
    const created = await service.request('POST', '/api/sessions', { token: p.token, body: { patientId: p.patientId, date: '2027-03-02', time: '11:00' } });
    const sessionId = String(created.json.id);
    await expect.poll(async () => (await outbox(keys.calendarCreate(sessionId)))?.status, WAIT).toBe('done');
    const cancelled = await service.request('POST', `/api/sessions/${sessionId}/cancel`, { token: p.token, body: { reason: 'Un imprevisto' } });
    expect(cancelled.status).toBe(200);
    await expect.poll(async () => (await outbox(keys.message('whatsapp', 'meet_link', sessionId)))?.status, WAIT).toBe('cancelled');
    expect((await outbox(keys.message('whatsapp', 'payment_reminder', sessionId)))?.status).toBe('cancelled');
    await expect.poll(async () => (await outbox(keys.calendarDelete(sessionId)))?.status, WAIT).toBe('done');
    const event = (await service.services.db('app.local_calendar_events').where({ calendar_id: p.id }).first()) as { status: string } | undefined;
    expect(event?.status).toBe('cancelled');
    clock.set('2027-03-02T14:00:00.000Z');
    await dispatch();
    expect(await sent(p.id)).toEqual([]);
  });

  it('gives a recurring session its own payment link, expiring an hour before it; paying it marks the session paid', async () => {
    const { service } = running;
    const p = await practice(service);
    const configured = await service.request('POST', '/api/recurring', { token: p.token, body: { patientId: p.patientId, frequency: 'weekly', dayOfWeek: 2, time: '09:00', startDate: '2027-03-02' } });
    expect(configured.status).toBe(201);
    await runRecurringGeneration(service.services, { trigger: 'test' });
    const session = async () => (await service.services.store.readStream(`therapist-${p.id}`)).find((e) => e.type === 'SessionScheduled')?.data as { sessionId: string; startsAt: string } | undefined;
    await expect.poll(session, WAIT).toBeTruthy();
    const { sessionId, startsAt } = (await session()) ?? { sessionId: '', startsAt: '' };
    await expect.poll(async () => (await outbox(keys.sessionPreference(sessionId)))?.status, WAIT).toBe('done');
    const preference = (await service.services.db('app.local_mercadopago_preferences').where({ external_reference: sessionId }).first()) as { id: string; expires_at: Date };
    expect(preference.expires_at.toISOString()).toBe(new Date(Date.parse(startsAt) - 3_600_000).toISOString());

    const paid = await fetch(`${service.baseUrl}/dev/mercadopago/checkout/${preference.id}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(paid.status).toBe(303);
    await expect.poll(async () => (await service.services.store.readStream(`therapist-${p.id}`)).find((e) => e.type === 'SessionPaymentReceived')?.data, WAIT).toMatchObject({ sessionId, method: 'mercadopago' });
  });
});
