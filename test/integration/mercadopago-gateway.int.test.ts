import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MercadoPagoGateway } from '../../infra/integrations/mercadopago/mercadopago-gateway.js';
import { NotFoundAtProvider, PermanentIntegrationFailure, TransientIntegrationFailure } from '../../integrations/integration-errors.js';
import type { PreferenceRequest } from '../../integrations/ports.js';
import { startFakeMercadoPago, type FakeMercadoPago } from '../support/fakes/mercadopago-server.js';

const ACCESS_TOKEN = 'TEST-1234567890-access-token';
let n = 0;
const aPreference = (overrides: Partial<PreferenceRequest> = {}): PreferenceRequest => ({
  externalReference: `booking-${++n}`,
  title: 'Sesión de psicoterapia',
  price: 15000,
  currency: 'ARS',
  expiresAt: new Date('2031-03-04T15:00:00.000Z'),
  notificationUrl: 'https://api.psicopay.test/webhooks/mercadopago',
  backUrl: 'https://psicopay.test/reservas/gracias',
  idempotencyKey: `mp-preference-${n}-${process.pid}`,
  ...overrides,
});

/** The real gateway drives the real SDK at a server speaking Mercado Pago's wire format. */
describe('The Mercado Pago gateway', () => {
  let mp: FakeMercadoPago;
  let gateway: MercadoPagoGateway;
  beforeAll(async () => {
    mp = await startFakeMercadoPago({ accessToken: ACCESS_TOKEN });
    gateway = new MercadoPagoGateway({ accessToken: ACCESS_TOKEN, baseUrl: mp.url, timeoutMs: 5_000 });
  });
  afterAll(() => mp.close());

  it('creates a Checkout Pro preference for the booking, expiring, returning to our page, with our idempotency key', async () => {
    const request = aPreference();
    const created = await gateway.createPreference(request);

    const received = mp.preferences.at(-1);
    expect(received?.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(received?.idempotencyKey).toBe(request.idempotencyKey);
    expect(received?.body).toEqual({
      items: [{ id: request.externalReference, title: 'Sesión de psicoterapia', quantity: 1, unit_price: 15000, currency_id: 'ARS' }],
      external_reference: request.externalReference,
      notification_url: 'https://api.psicopay.test/webhooks/mercadopago',
      back_urls: { success: request.backUrl, pending: request.backUrl, failure: request.backUrl },
      auto_return: 'approved',
      expires: true,
      expiration_date_to: '2031-03-04T15:00:00.000Z',
    });
    expect(created.preferenceId).toMatch(/^\d+-[0-9a-f-]{36}$/);
    expect(created.checkoutUrl).toBe(`https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=${created.preferenceId}`);
  });

  it('answers the same preference when the same idempotency key is sent again (a retry after a crash)', async () => {
    const request = aPreference();
    const before = mp.preferencesCreated;
    const first = await gateway.createPreference(request);
    const second = await gateway.createPreference(request);
    expect(second).toEqual(first);
    expect(mp.preferencesCreated).toBe(before + 1);
  });

  it('reports a 429 as transient, with Mercado Pago’s Retry-After, and leaves the retrying to the dispatcher', async () => {
    const before = mp.preferences.length;
    mp.failNext(429, 1, { 'Retry-After': '7' });
    const failure = await gateway.createPreference(aPreference()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransientIntegrationFailure);
    expect(failure).toMatchObject({ status: 429, retryAfterMs: 7000, message: 'Mercado Pago create preference answered 429 (too_many_requests)' });
    expect(mp.preferences.length).toBe(before + 1);
  });

  it('reports a 5xx as transient, after one request only', async () => {
    const before = mp.preferences.length;
    mp.failNext(500);
    const failure = await gateway.createPreference(aPreference()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransientIntegrationFailure);
    expect(failure).toMatchObject({ status: 500, retryAfterMs: null });
    expect(mp.preferences.length).toBe(before + 1);
  });

  it('reports a rejected access token (401) as permanent, naming the status and code but no body', async () => {
    const wrong = new MercadoPagoGateway({ accessToken: 'TEST-revoked', baseUrl: mp.url });
    const failure = await wrong.createPreference(aPreference()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PermanentIntegrationFailure);
    expect(failure).not.toBeInstanceOf(TransientIntegrationFailure);
    expect(failure).toMatchObject({ status: 401, message: 'Mercado Pago create preference answered 401 (unauthorized)' });
  });

  it('reports no answer at all (connection refused, or a timeout) as transient', async () => {
    const closed = await listening(createServer());
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = new MercadoPagoGateway({ accessToken: ACCESS_TOKEN, baseUrl: `http://127.0.0.1:${port}` });
    await expect(refused.getPayment('1')).rejects.toBeInstanceOf(TransientIntegrationFailure);

    const silent = await listening(createServer(() => undefined));
    try {
      const slow = new MercadoPagoGateway({ accessToken: ACCESS_TOKEN, baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 200 });
      await expect(slow.createPreference(aPreference())).rejects.toThrow('Mercado Pago create preference: no answer (network failure or timeout)');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('reads a payment back as the port’s MercadoPagoPayment', async () => {
    const paymentId = mp.createPayment({ externalReference: 'booking-42', status: 'approved', amount: 15000 });
    const payment = await gateway.getPayment(paymentId);
    expect(payment).toEqual({ paymentId, status: 'approved', externalReference: 'booking-42', amount: 15000, currency: 'ARS', dateApproved: expect.any(String) as string });
    const pending = mp.createPayment({ externalReference: null, status: 'pending', amount: 9000 });
    expect(await gateway.getPayment(pending)).toMatchObject({ status: 'pending', externalReference: null, dateApproved: null });
  });

  it('reports a payment Mercado Pago does not know (a forged notification) as NotFoundAtProvider', async () => {
    const calls = mp.getPaymentCalls;
    const failure = await gateway.getPayment('999').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NotFoundAtProvider);
    expect(failure).toMatchObject({ status: 404, message: 'Mercado Pago get payment answered 404 (not_found)' });
    expect(mp.getPaymentCalls).toBe(calls + 1);
  });

  it('reports a 5xx on reading a payment as transient', async () => {
    const paymentId = mp.createPayment({ externalReference: 'booking-43', status: 'approved', amount: 1 });
    mp.failNext(503);
    await expect(gateway.getPayment(paymentId)).rejects.toMatchObject({ name: 'TransientIntegrationFailure', status: 503 });
    await expect(gateway.getPayment(paymentId)).resolves.toMatchObject({ paymentId });
  });
});

async function listening(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
