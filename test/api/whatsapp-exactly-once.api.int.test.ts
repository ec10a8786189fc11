import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fakes/twilio-server.js';
import { startPublicAddress, type PublicAddress } from '../support/public-address.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * A confirmed booking sends its WhatsApp confirmation exactly once through the Twilio SDK (pointed
 * at a local server speaking Twilio's wire format), records it, and keeps it exactly once when the
 * process dies between the send and its record. Twilio's signed status callbacks come back to us.
 */

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'fake-twilio-auth-token-0123456789';
const SENDER = '+14155238886';
const STALE_AFTER_MS = 120_000;

function twilioEnv(fake: FakeTwilio, publicAddress: PublicAddress): Record<string, string> {
  return { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_WHATSAPP_NUMBER: SENDER, TWILIO_API_BASE_URL: fake.url, PUBLIC_BASE_URL: publicAddress.url };
}

/** A bank-transfer booking the therapist marks paid and confirms: its session is scheduled. */
async function confirmedBooking(service: TestService, therapist: { id: string; token: string }, extra: Record<string, unknown>) {
  const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', extra) });
  expect(booked.status).toBe(201);
  const bookingId = String(booked.json.id);
  expect((await service.request('POST', `/api/bookings/${bookingId}/payment-received`, { token: therapist.token, body: {} })).status).toBe(200);
  const confirmed = await service.request('POST', `/api/bookings/${bookingId}/confirm`, { token: therapist.token });
  expect(confirmed.status).toBe(200);
  expect(confirmed.json.status).toBe('confirmed');
  return { bookingId, sessionId: String(confirmed.json.sessionId) };
}

async function outcomes(service: TestService, therapistId: string, type: string) {
  return (await service.services.store.readStream(`integrations-${therapistId}`)).filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
}

async function dispatchRow(service: TestService, key: string) {
  return (await service.services.db('app.integration_dispatches').where({ key }).first()) as { status: string; attempts: number; claimed_at: Date | null } | undefined;
}

describe('WhatsApp confirmation through Twilio: sent once, recorded, its delivery reported back', () => {
  const clock = new ManualClock(MONDAY_8AM);
  let fake: FakeTwilio;
  let publicAddress: PublicAddress;
  let service: TestService;

  beforeAll(async () => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, now: () => clock.now() });
    publicAddress = await startPublicAddress();
    service = await startTestService({ clock, env: twilioEnv(fake, publicAddress) });
    publicAddress.pointAt(service.baseUrl);
  });
  afterAll(async () => {
    await service.close();
    await publicAddress.close();
    await fake.close();
  });

  it('given a confirmed booking, when the dispatcher runs, then Twilio receives one message with the local session time and a status callback, and MessageSent is recorded', async () => {
    const therapist = await openTherapist(service);
    const { bookingId, sessionId } = await confirmedBooking(service, therapist, { patientName: 'Ana Gómez', patientPhone: '+5491155550001' });
    const key = `whatsapp:booking_confirmed:${bookingId}`;

    await expect.poll(() => outcomes(service, therapist.id, 'MessageSent').then((sent) => sent.filter((m) => m.channel === 'whatsapp')), { timeout: 20_000 }).toHaveLength(1);
    const creates = fake.requests.filter((r) => r.method === 'POST' && r.path === `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(creates).toHaveLength(1);
    expect(fake.messages).toHaveLength(1);
    const [message] = fake.messages;
    expect(message?.auth).toEqual({ username: ACCOUNT_SID, password: AUTH_TOKEN });
    expect(message?.params).toMatchObject({ To: 'whatsapp:+5491155550001', From: `whatsapp:${SENDER}` });
    // 10:00 on the therapist's clock (13:00 UTC), named as such.
    expect(message?.params.Body).toContain('Hola Ana');
    expect(message?.params.Body).toContain('martes 2 de marzo');
    expect(message?.params.Body).toContain('Hora: 10:00');
    const callback = new URL(message?.params.StatusCallback ?? '');
    expect(`${callback.origin}${callback.pathname}`).toBe(`${publicAddress.url}/api/webhooks/twilio/status`);
    expect(callback.searchParams.get('therapist')).toBe(therapist.id);
    expect(callback.searchParams.get('key')).toBe(key);

    const [sent] = (await outcomes(service, therapist.id, 'MessageSent')).filter((m) => m.channel === 'whatsapp');
    expect(sent).toMatchObject({ key, purpose: 'booking_confirmed', sessionId, bookingId, providerId: message?.json.sid, recovered: false, driver: 'real' });
    expect((await dispatchRow(service, key))?.status).toBe('done');
  });

  it('given a sent message, when Twilio posts a signed status callback, then 204 and MessageDeliveryUpdated is appended; a tampered one is 401 and appends nothing', async () => {
    const therapist = await openTherapist(service);
    const { bookingId } = await confirmedBooking(service, therapist, { patientName: 'Bruno Díaz', patientPhone: '+5491155550002' });
    const key = `whatsapp:booking_confirmed:${bookingId}`;
    await expect.poll(async () => (await dispatchRow(service, key))?.status, { timeout: 20_000 }).toBe('done');
    const message = fake.messages.find((m) => m.params.To === 'whatsapp:+5491155550002');
    const sid = message?.json.sid ?? '';

    expect(await fake.sendStatusCallback(sid, 'delivered')).toBe(204);
    expect(await outcomes(service, therapist.id, 'MessageDeliveryUpdated')).toEqual([expect.objectContaining({ key, providerId: sid, status: 'delivered', errorCode: null })]);

    // Signed for "delivered", but the body says "read": the signature covers every field.
    const callbackUrl = message?.params.StatusCallback ?? '';
    const signed = { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', From: `whatsapp:${SENDER}`, To: 'whatsapp:+5491155550002', MessageSid: sid, MessageStatus: 'delivered' };
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, callbackUrl, signed);
    const before = (await service.services.store.readStream(`integrations-${therapist.id}`)).length;
    const tampered = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams({ ...signed, MessageStatus: 'read' }).toString(),
    });
    expect(tampered.status).toBe(401);
    const unsigned = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...signed, MessageStatus: 'read' }).toString() });
    expect(unsigned.status).toBe(401);
    expect((await service.services.store.readStream(`integrations-${therapist.id}`)).length).toBe(before);
  });
});

describe('WhatsApp confirmation across a crash between the send and its record', () => {
  it('given a process that sent the message and died before recording it, when a second process reclaims the row after 120 s, then it finds the message at Twilio and records it as recovered, and Twilio still holds exactly one', async () => {
    const firstClock = new ManualClock(MONDAY_8AM);
    const secondClock = new ManualClock(MONDAY_8AM);
    // Twilio's clock is the world's: the first process's until it dies, then the second's.
    let twilioClock = firstClock;
    const fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, now: () => twilioClock.now() });
    const publicAddress = await startPublicAddress();
    const env = twilioEnv(fake, publicAddress);
    const first = await startTestService({ clock: firstClock, env });
    publicAddress.pointAt(first.baseUrl);
    let second: TestService | undefined;
    const held = fake.holdNextCreate();
    try {
      // Given: the first process sends the confirmation, and Twilio takes it; the answer never gets back.
      const therapist = await openTherapist(first);
      const { bookingId } = await confirmedBooking(first, therapist, { patientName: 'Carla Ruiz', patientPhone: '+5491155550003' });
      const key = `whatsapp:booking_confirmed:${bookingId}`;
      await held.received;
      expect(fake.messages).toHaveLength(1);
      expect(await dispatchRow(first, key)).toMatchObject({ status: 'in_flight', attempts: 1 });
      // The e-mail of the same confirmation goes its own way and may be recorded already: WhatsApp's is not.
      expect((await outcomes(first, therapist.id, 'MessageSent')).filter((m) => m.channel === 'whatsapp')).toEqual([]);

      // A second process on the same database. Within the 120 s a call may take, the row is not its to take.
      second = await startTestService({ databaseUrl: first.services.databaseUrl, clock: secondClock, env });
      publicAddress.pointAt(second.baseUrl);
      twilioClock = secondClock;
      secondClock.advance(STALE_AFTER_MS - 1_000);
      await second.services.integrations.dispatcher.runDue();
      expect(await dispatchRow(second, key)).toMatchObject({ status: 'in_flight', attempts: 1 });
      expect(fake.messages).toHaveLength(1);

      // When: past the stale threshold, the second process's dispatcher reclaims the row.
      secondClock.advance(2_000);
      await second.services.integrations.dispatcher.runDue();

      // Then: it asked Twilio first (a list by recipient), found the message, and recorded it without sending.
      await expect.poll(async () => (await dispatchRow(second ?? first, key))?.status, { timeout: 20_000 }).toBe('done');
      const sent = (await outcomes(second, therapist.id, 'MessageSent')).filter((m) => m.channel === 'whatsapp');
      expect(sent).toEqual([expect.objectContaining({ key, providerId: fake.messages[0]?.json.sid, recovered: true, driver: 'real' })]);
      expect(fake.requests.some((r) => r.method === 'GET' && r.params.To === 'whatsapp:+5491155550003')).toBe(true);
      expect(fake.messages).toHaveLength(1);

      // And if the first process was only stalled, not dead: its call fails late (the connection drops),
      // and what it settles then is nothing, since the row is no longer its own; no second message follows.
      held.release('drop');
      await first.services.integrations.stop();
      expect((await dispatchRow(second, key))?.status).toBe('done');
      secondClock.advance(15 * 60_000);
      await second.services.integrations.dispatcher.runDue();
      await second.services.integrations.dispatcher.runDue();
      expect(fake.messages).toHaveLength(1);
      expect((await outcomes(second, therapist.id, 'MessageSent')).filter((m) => m.channel === 'whatsapp')).toHaveLength(1);
      expect((await dispatchRow(second, key))?.status).toBe('done');
    } finally {
      held.release('drop');
      // The second process shares the first one's database: it goes first, the first drops the database.
      await second?.close();
      await first.close();
      await publicAddress.close();
      await fake.close();
    }
  });
});
