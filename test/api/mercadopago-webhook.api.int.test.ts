import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import type { RecordedEvent } from '../../infra/event-store/event-store.js';
import { keys } from '../../integrations/dispatch-plan.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { startFakeMercadoPago, type FakeMercadoPago, type SignedNotification } from '../support/fakes/mercadopago-server.js';
import { startTestService, type TestResponse, type TestService } from '../support/service.js';

/**
 * Mercado Pago for real: the service runs with credentials, the official SDK talks to a local server
 * speaking Mercado Pago's wire format, and Mercado Pago's notifications reach POST
 * /api/webhooks/mercadopago signed as Mercado Pago signs them. Each specification: given a
 * therapist's stream, when a request arrives, then the answer, and the events (or none) that follow.
 */
const ACCESS_TOKEN = 'TEST-5811932845673398-030112-access-token';
const WEBHOOK_SECRET = 'mp-webhook-secret-0f3b9c2e7a41';
const PUBLIC_BASE_URL = 'https://api.psicopay.test';
const PRICE = 18_000;
const WAIT = { timeout: 20_000, interval: 100 } as const;

const clock = new ManualClock(MONDAY_8AM);
let mp: FakeMercadoPago;
let running: TestService | undefined;
const world = {
  get service(): TestService {
    if (!running) throw new Error('read the service inside a test or hook');
    return running;
  },
};

// The fake must be listening before the service starts: its URL is the SDK's API root (MP_API_BASE_URL).
beforeAll(async () => {
  mp = await startFakeMercadoPago({ accessToken: ACCESS_TOKEN });
  running = await startTestService({
    clock,
    env: { MP_ACCESS_TOKEN: ACCESS_TOKEN, MP_WEBHOOK_SECRET: WEBHOOK_SECRET, MP_API_BASE_URL: mp.url, PUBLIC_BASE_URL },
  });
});
afterAll(async () => {
  await running?.close();
  await mp.close();
});
beforeEach(() => clock.set(MONDAY_8AM));

interface Booked {
  readonly therapist: { readonly id: string; readonly token: string };
  readonly response: TestResponse;
  readonly id: string;
  readonly patientToken: string;
}

/** Given a therapist whose stream holds a Mercado Pago booking request, its checkout preference made. */
async function aMercadoPagoBooking(): Promise<Booked> {
  const service = world.service;
  const therapist = await openTherapist(service, { sessionPrice: PRICE });
  const response = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', { paymentMethod: 'mercadopago' }) });
  expect(response.status).toBe(201);
  const id = String(response.json.id);
  await expect.poll(async () => (await service.services.integrations.outcomeOf(keys.bookingPreference(id), 0))?.status, WAIT).toBe('done');
  return { therapist, response, id, patientToken: String(response.json.patientToken) };
}

/** A notification as Mercado Pago sends it, signed at the service's "now" (its manual clock). */
function notificationOf(paymentId: string, options: { secret?: string; ts?: number } = {}): SignedNotification {
  return mp.signedNotification({ paymentId, secret: options.secret ?? WEBHOOK_SECRET, ts: options.ts ?? clock.now().getTime() });
}

/** When Mercado Pago posts it: `?data.id=…&type=payment`, x-signature and x-request-id, its JSON body. */
function post(notification: SignedNotification, overrides: { dataId?: string; headers?: Record<string, string> } = {}): Promise<TestResponse> {
  const query = new URLSearchParams({ 'data.id': overrides.dataId ?? notification.query['data.id'], type: notification.query.type });
  return world.service.request('POST', `/api/webhooks/mercadopago?${query.toString()}`, { body: notification.body, headers: overrides.headers ?? notification.headers });
}

async function eventsOf(streamId: string): Promise<RecordedEvent[]> {
  return world.service.services.store.readStream(streamId);
}

async function typesOf(streamId: string, bookingId?: string): Promise<string[]> {
  const events = await eventsOf(streamId);
  return events.filter((e) => bookingId === undefined || (e.data as { bookingId?: string }).bookingId === bookingId).map((e) => e.type);
}

async function bookingStatus(booked: Booked): Promise<unknown> {
  const answer = await world.service.request('GET', `/api/public/bookings/${booked.id}?token=${encodeURIComponent(booked.patientToken)}`);
  return answer.json.status;
}

interface DispatchRowInDb {
  key: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
}

async function paymentRows(paymentId: string): Promise<DispatchRowInDb[]> {
  return (await world.service.services.db('app.integration_dispatches').where('key', 'like', `mercadopago:payment:${paymentId}:%`).orderBy('created_at')) as DispatchRowInDb[];
}

async function outboxKeys(): Promise<string[]> {
  return ((await world.service.services.db('app.integration_dispatches').select('key').orderBy('key')) as { key: string }[]).map((r) => r.key);
}

/**
 * Nothing left to happen by itself: the reactor has read the whole log, and no call is due or under way.
 * (Calls due later, such as the Meet link before a session, wait on the manual clock.)
 */
async function quiescent(): Promise<void> {
  const { services } = world.service;
  await expect
    .poll(async () => {
      const health = await services.integrations.health(clock.now());
      const busy = await services.db('app.integration_dispatches')
        .whereRaw("status = 'in_flight' OR (status = 'pending' AND next_attempt_at <= ?)", [clock.now()])
        .count<{ count: string }[]>({ count: '*' });
      return { lag: health.reactor.map((r) => r.lag), busy: Number(busy[0]?.count ?? 0) };
    }, WAIT)
    .toEqual({ lag: [0], busy: 0 });
}

describe('Mercado Pago checkout: the booking answer carries the preference made with the SDK', () => {
  it('given a therapist, when a patient books with mercadopago, then the answer links to the init_point of a preference for that booking', async () => {
    const before = mp.preferences.length;
    const booked = await aMercadoPagoBooking();

    const received = mp.preferences.slice(before).filter((p) => p.body.external_reference === booked.id);
    expect(received).toHaveLength(1);
    const [preference] = received;
    expect(preference?.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(preference?.idempotencyKey).toBe(keys.bookingPreference(booked.id));
    expect(preference?.body).toMatchObject({
      external_reference: booked.id,
      items: [expect.objectContaining({ id: booked.id, quantity: 1, unit_price: PRICE, currency_id: 'ARS' })],
      expires: true,
      expiration_date_to: booked.response.json.expiresAt,
      notification_url: `${PUBLIC_BASE_URL}/api/webhooks/mercadopago`,
    });

    const row = await world.service.services.integrations.outcomeOf(keys.bookingPreference(booked.id), 0);
    const made = row?.outcome as { preferenceId: string; checkoutUrl: string };
    expect(made.checkoutUrl).toBe(`https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=${made.preferenceId}`);
    expect(booked.response.json.paymentLink).toBe(made.checkoutUrl);

    const linked = (await eventsOf(`integrations-${booked.therapist.id}`)).filter((e) => e.type === 'PaymentLinkCreated');
    expect(linked.map((e) => e.data)).toEqual([
      expect.objectContaining({ reference: { kind: 'booking', id: booked.id }, preferenceId: made.preferenceId, checkoutUrl: made.checkoutUrl, expiresAt: booked.response.json.expiresAt, driver: 'real' }),
    ]);
  });
});

describe('POST /api/webhooks/mercadopago: an approved payment confirms the session', () => {
  it('given a booking waiting for payment, when Mercado Pago notifies its approved payment, then 200 and the booking is confirmed: PaymentStarted, BookingConfirmed, SessionScheduled', async () => {
    const booked = await aMercadoPagoBooking();
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'approved', amount: PRICE });
    const fetchesBefore = mp.getPaymentCalls;

    const answer = await post(notificationOf(paymentId));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ received: true, handled: true, duplicate: false });

    await expect.poll(() => bookingStatus(booked), WAIT).toBe('confirmed');
    expect(mp.getPaymentCalls).toBe(fetchesBefore + 1);

    const therapistStream = await eventsOf(`therapist-${booked.therapist.id}`);
    const ofBooking = therapistStream.filter((e) => (e.data as { bookingId?: string }).bookingId === booked.id);
    expect(ofBooking.map((e) => e.type)).toEqual(['BookingRequested', 'PaymentStarted', 'BookingConfirmed', 'SessionScheduled']);
    expect(ofBooking[1]?.data).toMatchObject({ bookingId: booked.id, method: 'mercadopago', reference: paymentId });
    // The payment changed the calendar as Mercado Pago's webhook, never as the therapist or the patient.
    expect(ofBooking.slice(1).map((e) => e.metadata.actor)).toEqual([
      { kind: 'webhook', source: 'mercadopago' },
      { kind: 'webhook', source: 'mercadopago' },
      { kind: 'webhook', source: 'mercadopago' },
    ]);

    // Recorded once the commands it drove are in: the confirmation comes a moment before its record.
    const recordedOf = async () => (await eventsOf(`integrations-${booked.therapist.id}`)).filter((e) => e.type === 'MercadoPagoPaymentRecorded');
    await expect.poll(async () => (await recordedOf()).length, WAIT).toBe(1);
    const recorded = await recordedOf();
    expect(recorded.map((e) => e.data)).toEqual([
      expect.objectContaining({ paymentId, reference: { kind: 'booking', id: booked.id }, status: 'approved', amount: PRICE, currency: 'ARS', driver: 'real' }),
    ]);
    expect(await typesOf(`integrations-${booked.therapist.id}`)).not.toContain('IntegrationCallFailed');
  });
});

describe('POST /api/webhooks/mercadopago: a notification whose signature does not verify changes nothing', () => {
  const cases: { name: string; send: (paymentId: string) => Promise<TestResponse> }[] = [
    { name: 'forged (signed with another secret)', send: (paymentId) => post(notificationOf(paymentId, { secret: 'not-the-panel-secret-9c1d7e' })) },
    { name: 'stale (signed 10 minutes before the service’s now)', send: (paymentId) => post(notificationOf(paymentId, { ts: clock.now().getTime() - 10 * 60_000 })) },
    {
      name: 'tampered (a valid signature for another data.id)',
      send: (paymentId) => post(notificationOf(String(Number(paymentId) + 1)), { dataId: paymentId }),
    },
    {
      name: 'unsigned (no x-signature)',
      send: (paymentId) => {
        const { 'x-signature': _dropped, ...headers } = notificationOf(paymentId).headers;
        return post(notificationOf(paymentId), { headers });
      },
    },
  ];

  it.each(cases)('given an approved payment for a pending booking, when a $name notification arrives, then 401 problem+json, no outbox row, no event, no fetch', async ({ send }) => {
    const { services } = world.service;
    const booked = await aMercadoPagoBooking();
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'approved', amount: PRICE });
    await quiescent();
    const logBefore = await services.store.readAll();
    const rowsBefore = await outboxKeys();
    const fetchesBefore = mp.getPaymentCalls;

    const answer = await send(paymentId);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.json).toMatchObject({ status: 401, title: 'Unauthorized' });

    // A dispatcher round that would have fetched anything the notification had left behind.
    await services.integrations.dispatcher.runDue();
    await quiescent();
    expect(await outboxKeys()).toEqual(rowsBefore);
    expect(await services.store.readAll()).toEqual(logBefore);
    expect(mp.getPaymentCalls).toBe(fetchesBefore);
    expect(await bookingStatus(booked)).toBe('pending_payment');
  });
});

describe('POST /api/webhooks/mercadopago: duplicates and repeats confirm once', () => {
  it('given a booking waiting for payment, when the same notification arrives twice, then both 200, the second a duplicate, one outbox row, one confirmation', async () => {
    const booked = await aMercadoPagoBooking();
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'approved', amount: PRICE });
    const notification = notificationOf(paymentId);

    const first = await post(notification);
    const second = await post(notification);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json).toEqual({ received: true, handled: true, duplicate: false });
    expect(second.json).toEqual({ received: true, handled: true, duplicate: true });
    expect((await paymentRows(paymentId)).map((r) => r.key)).toEqual([keys.payment(paymentId, notification.headers['x-request-id'])]);

    await expect.poll(() => bookingStatus(booked), WAIT).toBe('confirmed');
    await quiescent();
    const stream = `therapist-${booked.therapist.id}`;
    expect(await typesOf(stream, booked.id)).toEqual(['BookingRequested', 'PaymentStarted', 'BookingConfirmed', 'SessionScheduled']);
  });

  it('given a booking confirmed by a payment, when Mercado Pago notifies the same payment again (a new x-request-id), then 200, it is fetched again, and nothing is confirmed twice or flagged', async () => {
    const booked = await aMercadoPagoBooking();
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'approved', amount: PRICE });
    expect((await post(notificationOf(paymentId))).status).toBe(200);
    await expect.poll(() => bookingStatus(booked), WAIT).toBe('confirmed');
    await quiescent();
    const fetchesBefore = mp.getPaymentCalls;

    const again = notificationOf(paymentId);
    const answer = await post(again);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ received: true, handled: true, duplicate: false });
    await expect.poll(async () => (await paymentRows(paymentId)).map((r) => r.status), WAIT).toEqual(['done', 'done']);
    expect(mp.getPaymentCalls).toBe(fetchesBefore + 1);
    await quiescent();

    expect(await typesOf(`therapist-${booked.therapist.id}`, booked.id)).toEqual(['BookingRequested', 'PaymentStarted', 'BookingConfirmed', 'SessionScheduled']);
    const outcomes = await eventsOf(`integrations-${booked.therapist.id}`);
    expect(outcomes.filter((e) => e.type === 'MercadoPagoPaymentRecorded').map((e) => (e.data as { paymentId: string }).paymentId)).toEqual([paymentId, paymentId]);
    // The same payment seen again is not money taken twice: no refund decision is asked of the therapist.
    expect(outcomes.filter((e) => e.type === 'IntegrationCallFailed').map((e) => e.data)).toEqual([]);
  });
});

describe('POST /api/webhooks/mercadopago: payments that do not confirm anything', () => {
  it('given no such payment at Mercado Pago, when it is notified, then 200, and after the dispatcher ran nothing is on any stream', async () => {
    const { services } = world.service;
    const booked = await aMercadoPagoBooking();
    await quiescent();
    const logBefore = await services.store.readAll();
    const unknown = '999000111222';

    const answer = await post(notificationOf(unknown));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ received: true, handled: true, duplicate: false });

    await expect.poll(async () => (await paymentRows(unknown)).map((r) => r.status), WAIT).toEqual(['failed']);
    expect((await paymentRows(unknown))[0]?.last_error).toContain('404');
    await quiescent();
    const after = await services.store.readAll();
    expect(after.slice(logBefore.length).map((e) => e.streamId)).toEqual([]);
    expect(await bookingStatus(booked)).toBe('pending_payment');
  });

  it('given a booking waiting for payment, when its rejected payment is notified, then MercadoPagoPaymentRecorded (rejected) and the booking still waits for payment', async () => {
    const booked = await aMercadoPagoBooking();
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'rejected', amount: PRICE });

    expect((await post(notificationOf(paymentId))).status).toBe(200);

    const recorded = async () => (await eventsOf(`integrations-${booked.therapist.id}`)).filter((e) => e.type === 'MercadoPagoPaymentRecorded').map((e) => e.data);
    await expect.poll(recorded, WAIT).toEqual([expect.objectContaining({ paymentId, status: 'rejected', reference: { kind: 'booking', id: booked.id } })]);
    await quiescent();
    expect(await bookingStatus(booked)).toBe('pending_payment');
    expect(await typesOf(`therapist-${booked.therapist.id}`, booked.id)).toEqual(['BookingRequested']);
  });
});

describe('POST /api/webhooks/mercadopago: a payment for a booking cancelled meanwhile', () => {
  it('given a booking the patient cancelled, when its approved payment is notified, then LatePaymentReceived, the therapist is told, and the booking stays cancelled', async () => {
    const { service } = world;
    const booked = await aMercadoPagoBooking();
    const cancelled = await service.request('POST', `/api/public/bookings/${booked.id}/cancel`, { body: { token: booked.patientToken } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'approved', amount: PRICE });

    expect((await post(notificationOf(paymentId))).status).toBe(200);

    const stream = `therapist-${booked.therapist.id}`;
    await expect.poll(() => typesOf(stream, booked.id), WAIT).toEqual(['BookingRequested', 'BookingCancelled', 'LatePaymentReceived']);
    const late = (await eventsOf(stream)).find((e) => e.type === 'LatePaymentReceived');
    expect(late?.data).toMatchObject({ bookingId: booked.id, method: 'mercadopago', reference: paymentId, bookingStatus: 'cancelled' });
    const recorded = async () => (await eventsOf(`integrations-${booked.therapist.id}`)).filter((e) => e.type === 'MercadoPagoPaymentRecorded').map((e) => e.data);
    await expect.poll(recorded, WAIT).toEqual([expect.objectContaining({ paymentId, status: 'approved' })]);

    const notifications = async () =>
      ((await service.request('GET', '/api/notifications', { token: booked.therapist.token })).json.notifications as { kind: string; bookingId: string | null; reasons: string[] | null }[]).filter(
        (n) => n.kind === 'late_payment_received',
      );
    await expect.poll(notifications, WAIT).toEqual([expect.objectContaining({ kind: 'late_payment_received', bookingId: booked.id, reasons: expect.arrayContaining([paymentId]) as unknown })]);
    expect(await bookingStatus(booked)).toBe('cancelled');

    // Mercado Pago notifies the same payment again: still one late payment for the therapist to settle.
    expect((await post(notificationOf(paymentId))).status).toBe(200);
    await expect.poll(async () => (await paymentRows(paymentId)).map((r) => r.status), WAIT).toEqual(['done', 'done']);
    await quiescent();
    expect(await notifications()).toHaveLength(1);
  });
});

describe('POST /api/webhooks/mercadopago: Mercado Pago failing the payment fetch', () => {
  it('given an approved payment, when Mercado Pago answers 500 then 429 on the fetch, then the dispatcher retries with backoff and the booking is confirmed once', async () => {
    const { services } = world.service;
    const booked = await aMercadoPagoBooking();
    await quiescent();
    const paymentId = mp.createPayment({ externalReference: booked.id, status: 'approved', amount: PRICE });
    mp.failNext(500);
    mp.failNext(429);
    const fetchesBefore = mp.getPaymentCalls;

    expect((await post(notificationOf(paymentId))).status).toBe(200);

    // Each failure sends the row back with backoff on the service's clock; it stays put until that time comes.
    const retried = async (attempts: number) => {
      await expect.poll(async () => (await paymentRows(paymentId)).map((r) => ({ status: r.status, attempts: r.attempts })), WAIT).toEqual([{ status: 'pending', attempts }]);
      const [row] = await paymentRows(paymentId);
      if (!row) throw new Error('no outbox row for the payment');
      expect(row.next_attempt_at.getTime()).toBeGreaterThan(clock.now().getTime());
      return row;
    };
    const afterServerError = await retried(1);
    expect(afterServerError.last_error).toContain('500');
    expect(mp.getPaymentCalls).toBe(fetchesBefore + 1);
    expect(await bookingStatus(booked)).toBe('pending_payment');

    clock.set(new Date(afterServerError.next_attempt_at.getTime() + 1));
    await services.integrations.dispatcher.runDue();
    const afterRateLimit = await retried(2);
    expect(afterRateLimit.last_error).toContain('429');
    expect(mp.getPaymentCalls).toBe(fetchesBefore + 2);
    // Backoff grows: the second wait is at least as long as the first one's floor (1 s → 2 s ceilings, half jittered).
    expect(afterRateLimit.next_attempt_at.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(1_000);

    clock.set(new Date(afterRateLimit.next_attempt_at.getTime() + 1));
    await services.integrations.dispatcher.runDue();
    await expect.poll(() => bookingStatus(booked), WAIT).toBe('confirmed');
    await expect.poll(async () => (await paymentRows(paymentId)).map((r) => ({ status: r.status, attempts: r.attempts })), WAIT).toEqual([{ status: 'done', attempts: 3 }]);
    expect(mp.getPaymentCalls).toBe(fetchesBefore + 3);
    await quiescent();

    expect(await typesOf(`therapist-${booked.therapist.id}`, booked.id)).toEqual(['BookingRequested', 'PaymentStarted', 'BookingConfirmed', 'SessionScheduled']);
    const outcomes = await typesOf(`integrations-${booked.therapist.id}`);
    expect(outcomes.filter((t) => t === 'MercadoPagoPaymentRecorded')).toHaveLength(1);
    expect(outcomes).not.toContain('IntegrationCallFailed');
  });
});
