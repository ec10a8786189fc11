import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPaymentGateway } from '../../infra/integrations/local/local-payments.js';
import { verifyMercadoPagoSignature } from '../../infra/integrations/mercadopago/webhook-signature.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';
import { NotFoundAtProvider } from '../../integrations/integration-errors.js';
import type { PreferenceRequest } from '../../integrations/ports.js';
import { devCheckoutRoutes } from '../../src/http/dev-checkout-routes.js';
import { createTestDatabase } from '../support/database.js';

const SECRET = 'local-webhook-secret';
const BACK_URL = 'http://127.0.0.1:5173/reservas/gracias';

interface Delivered {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** The local Mercado Pago driver and its checkout page: what a developer pays on without credentials. */
describe('The local Mercado Pago driver', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Knex;
  let payments: LocalPaymentGateway;
  let app: Server;
  let appUrl: string;
  let webhook: Server;
  const delivered: Delivered[] = [];
  let webhookStatus = 200;
  const now = new Date('2030-05-06T13:00:00.000Z');
  let n = 0;
  const aPreference = (overrides: Partial<PreferenceRequest> = {}): PreferenceRequest => ({
    externalReference: `booking-${++n}`,
    title: 'Sesión de psicoterapia <b>individual</b>',
    price: 15000,
    currency: 'ARS',
    expiresAt: new Date(now.getTime() + 60 * 60_000),
    notificationUrl: 'http://127.0.0.1/webhooks/mercadopago',
    backUrl: BACK_URL,
    idempotencyKey: `local-pref-key-${n}`,
    ...overrides,
  });

  beforeAll(async () => {
    database = await createTestDatabase('local_payments');
    db = createKnex(database.url, 4);
    await migrateToLatest(db);
    webhook = await listening(
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          delivered.push({ url: new URL(req.url ?? '/', 'http://webhook'), headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          res.writeHead(webhookStatus).end();
        });
      }),
    );
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhooks/mercadopago`;
    const server = express();
    // As the app: every page starts from default-src 'none'.
    server.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
    const listener = await listening(createServer(server));
    appUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    app = listener;
    payments = new LocalPaymentGateway({ db, checkoutBaseUrl: `${appUrl}/` });
    server.use(devCheckoutRoutes({ payments, webhookUrl: () => webhookUrl, webhookSecret: SECRET, clock: { now: () => now } }));
  });
  afterAll(async () => {
    app.closeAllConnections();
    webhook.closeAllConnections();
    await Promise.all([new Promise((resolve) => app.close(resolve)), new Promise((resolve) => webhook.close(resolve))]);
    await db.destroy();
    await database.drop();
  });

  it('makes one preference per idempotency key, paid on its own checkout page', async () => {
    const request = aPreference();
    const first = await payments.createPreference(request);
    expect(await payments.createPreference(request)).toEqual(first);
    expect(first.preferenceId).toMatch(/^local-pref-[0-9a-f-]{36}$/);
    expect(first.checkoutUrl).toBe(`${appUrl}/dev/mercadopago/checkout/${first.preferenceId}`);
    expect(await db('app.local_mercadopago_preferences').where({ idempotency_key: request.idempotencyKey })).toHaveLength(1);
  });

  it('renders the checkout page in Spanish, escaped, with its own content security policy', async () => {
    const { checkoutUrl } = await payments.createPreference(aPreference());
    const page = await fetch(checkoutUrl);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:5173");
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('Sesión de psicoterapia &lt;b&gt;individual&lt;/b&gt;');
    expect(html).not.toContain('<b>individual</b>');
    expect(html).toMatch(/\$\s15\.000,00/);
    // The wording between date and time is ICU's; the hour is Argentina's, on a 24-hour clock.
    expect(html).toMatch(/Vence el 6 de mayo de 2030\D+ 11:00 \(hora de Argentina\)/);
    expect(html).toMatch(/<form method="post"><button type="submit">Pagar<\/button><\/form>/);
  });

  it('answers 404 problem+json for a preference it does not know', async () => {
    const page = await fetch(`${appUrl}/dev/mercadopago/checkout/local-pref-unknown`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await page.json()).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
    const paid = await fetch(`${appUrl}/dev/mercadopago/checkout/local-pref-unknown`, { method: 'POST', body: new URLSearchParams(), redirect: 'manual' });
    expect(paid.status).toBe(404);
  });

  it('answers 410 for an expired preference, and does not take its payment', async () => {
    const { preferenceId, checkoutUrl } = await payments.createPreference(aPreference({ expiresAt: new Date(now.getTime() - 1) }));
    const page = await fetch(checkoutUrl);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('Este link de pago venció');
    const paid = await fetch(checkoutUrl, { method: 'POST', body: new URLSearchParams(), redirect: 'manual' });
    expect(paid.status).toBe(410);
    expect(await db('app.local_mercadopago_payments').where({ preference_id: preferenceId })).toEqual([]);
  });

  it('pays once, delivers a webhook signed as Mercado Pago signs it, and returns the patient like auto_return', async () => {
    const request = aPreference();
    const { preferenceId, checkoutUrl } = await payments.createPreference(request);
    const before = delivered.length;
    const paid = await fetch(checkoutUrl, { method: 'POST', body: new URLSearchParams(), redirect: 'manual' });
    expect(paid.status).toBe(303);
    const back = new URL(paid.headers.get('location') ?? '');
    const paymentId = back.searchParams.get('payment_id') ?? '';
    expect(`${back.origin}${back.pathname}`).toBe(BACK_URL);
    expect(Object.fromEntries(back.searchParams)).toEqual({ collection_id: paymentId, collection_status: 'approved', payment_id: paymentId, status: 'approved', external_reference: request.externalReference, preference_id: preferenceId });

    expect(delivered.length).toBe(before + 1);
    const notification = delivered.at(-1);
    expect(notification?.url.pathname).toBe('/webhooks/mercadopago');
    expect(Object.fromEntries(notification?.url.searchParams ?? [])).toEqual({ 'data.id': paymentId, type: 'payment' });
    expect(notification?.body).toEqual({ action: 'payment.updated', api_version: 'v1', type: 'payment', data: { id: paymentId }, date_created: now.toISOString(), live_mode: false, id: expect.any(Number) as number });
    expect(notification?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const verdict = verifyMercadoPagoSignature({
      secret: SECRET,
      signatureHeader: notification?.headers['x-signature'] as string | undefined,
      requestId: notification?.headers['x-request-id'] as string | undefined,
      dataId: notification?.url.searchParams.get('data.id') ?? undefined,
      now,
      toleranceMs: 60_000,
    });
    expect(verdict).toEqual({ ok: true });
    expect(verifyMercadoPagoSignature({ secret: 'another-secret', signatureHeader: notification?.headers['x-signature'] as string, requestId: notification?.headers['x-request-id'] as string, dataId: paymentId, now, toleranceMs: 60_000 })).toMatchObject({ ok: false });

    expect(await payments.getPayment(paymentId)).toEqual({ paymentId, status: 'approved', externalReference: request.externalReference, amount: 15000, currency: 'ARS', dateApproved: now.toISOString() });

    // Paying again (a double click, a reload) answers the same payment and notifies again.
    const again = await fetch(checkoutUrl, { method: 'POST', body: new URLSearchParams(), redirect: 'manual' });
    expect(new URL(again.headers.get('location') ?? '').searchParams.get('payment_id')).toBe(paymentId);
    expect(await db('app.local_mercadopago_payments').where({ preference_id: preferenceId })).toHaveLength(1);
    expect(delivered.length).toBe(before + 2);
    expect(await (await fetch(checkoutUrl)).text()).toContain('Pago aprobado');
  });

  it('does not make two payments when the patient pays twice at once', async () => {
    const { preferenceId } = await payments.createPreference(aPreference());
    const ids = await Promise.all([payments.approve(preferenceId, now), payments.approve(preferenceId, now), payments.approve(preferenceId, now)]);
    expect(new Set(ids).size).toBe(1);
    expect(await db('app.local_mercadopago_payments').where({ preference_id: preferenceId })).toHaveLength(1);
  });

  it('says so when our webhook does not accept the notification, and delivers again on the next press', async () => {
    const { checkoutUrl } = await payments.createPreference(aPreference());
    webhookStatus = 500;
    const failed = await fetch(checkoutUrl, { method: 'POST', body: new URLSearchParams(), redirect: 'manual' });
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ status: 502, detail: 'The webhook answered 500; press Pagar again to redeliver' });
    webhookStatus = 200;
    const retried = await fetch(checkoutUrl, { method: 'POST', body: new URLSearchParams(), redirect: 'manual' });
    expect(retried.status).toBe(303);
  });

  it('knows no payment it did not make', async () => {
    await expect(payments.getPayment('424242')).rejects.toBeInstanceOf(NotFoundAtProvider);
    await expect(payments.getPayment('not-a-number')).rejects.toBeInstanceOf(NotFoundAtProvider);
  });
});

async function listening(server: Server): Promise<Server> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
