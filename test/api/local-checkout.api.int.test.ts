import { describe, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

/**
 * The embedded start with no credentials: every integration runs its local driver, and a patient
 * books with Mercado Pago, pays on the local checkout, and ends with a confirmed session, its Meet
 * link, and the confirmation messages recorded — the same reactors as with the real services.
 */
describe('Integrations with the local drivers: book, pay on the local checkout, confirmed', () => {
  const world = useTestService({ now: MONDAY_8AM });

  it('answers a Mercado Pago booking with the local checkout link; paying there confirms it with a Meet link and recorded messages', async () => {
    const service = world.service;
    const therapist = await openTherapist(service, { sessionPrice: 18000 });
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', { paymentMethod: 'mercadopago' }) });
    expect(booked.status).toBe(201);
    const link = new URL(String(booked.json.paymentLink));
    expect(link.pathname).toMatch(/^\/dev\/mercadopago\/checkout\/local-pref-/);
    const bookingId = String(booked.json.id);
    const token = String(booked.json.patientToken);

    const page = await fetch(`${service.baseUrl}${link.pathname}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Pagar');
    expect(html).toContain('18.000');

    const paid = await fetch(`${service.baseUrl}${link.pathname}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toContain(`external_reference=${bookingId}`);

    const status = async () => (await service.request('GET', `/api/public/bookings/${bookingId}?token=${encodeURIComponent(token)}`)).json;
    await expect.poll(async () => (await status()).status, { timeout: 20_000 }).toBe('confirmed');
    await expect.poll(async () => (await status()).meetLink, { timeout: 20_000 }).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);

    const recorded = async () => (await service.services.db('app.local_messages').select('channel', 'recipient_masked').orderBy('channel')) as { channel: string; recipient_masked: string }[];
    await expect.poll(async () => (await recorded()).map((m) => m.channel), { timeout: 20_000 }).toEqual(['email', 'whatsapp']);
    // Recorded, not readable: the patient's contact stays out of the local driver's table.
    expect(JSON.stringify(await recorded())).not.toContain('+5491112345678');
    expect(JSON.stringify(await recorded())).not.toContain('juan@example.com');

    const stream = (await service.services.store.readStream(`therapist-${therapist.id}`)).map((e) => e.type);
    expect(stream).toEqual(expect.arrayContaining(['BookingRequested', 'PaymentStarted', 'BookingConfirmed', 'SessionScheduled']));
    // Recorded once each, after the driver answered (the table row comes first, the event just after).
    const outcomes = async () => (await service.services.store.readStream(`integrations-${therapist.id}`)).map((e) => e.type);
    await expect.poll(async () => (await outcomes()).filter((t) => t === 'MessageSent'), { timeout: 20_000 }).toHaveLength(2);
    expect(await outcomes()).toEqual(expect.arrayContaining(['PaymentLinkCreated', 'MercadoPagoPaymentRecorded', 'CalendarEventCreated', 'MessageSent']));

    const notifications = async () => ((await service.request('GET', '/api/notifications', { token: therapist.token })).json.notifications as { kind: string }[]).map((n) => n.kind);
    await expect.poll(notifications, { timeout: 20_000 }).toEqual(expect.arrayContaining(['local_message_recorded', 'local_calendar_event_recorded']));

    const ics = await fetch(`${service.baseUrl}/api/public/bookings/${bookingId}/calendar.ics?token=${encodeURIComponent(token)}`);
    expect(ics.status).toBe(200);
    expect(ics.headers.get('content-type')).toContain('text/calendar');
    expect(await ics.text()).toContain(`UID:${bookingId}@psicopay`);
  });
});
