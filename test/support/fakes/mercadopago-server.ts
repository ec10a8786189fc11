import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signMercadoPagoNotification } from '../../../infra/integrations/mercadopago/webhook-signature.js';

/**
 * A local server speaking Mercado Pago's REST wire format for what we use of it: Checkout Pro
 * preferences (honouring X-Idempotency-Key) and payments read back, Bearer auth, MP's error bodies,
 * and failures scripted by the test. The real SDK is pointed at it.
 */
export interface ReceivedPreference {
  readonly body: Record<string, unknown>;
  readonly headers: IncomingHttpHeaders;
  readonly idempotencyKey: string | undefined;
  readonly authorization: string | undefined;
}

export interface SignedNotification {
  readonly query: { readonly 'data.id': string; readonly type: 'payment' };
  readonly headers: Readonly<Record<'content-type' | 'x-signature' | 'x-request-id', string>>;
  readonly body: Record<string, unknown>;
}

export interface FakeMercadoPago {
  readonly url: string;
  close(): Promise<void>;
  /** Every POST /checkout/preferences that reached the server, as received. */
  readonly preferences: readonly ReceivedPreference[];
  /** How many distinct preferences it made (a replayed idempotency key makes none). */
  readonly preferencesCreated: number;
  /** How many GET /v1/payments/:id it answered, whatever the answer. */
  readonly getPaymentCalls: number;
  /** The next `times` requests, of any kind, are answered with this status and MP's error body for it. */
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  createPayment(payment: { externalReference: string | null; status: string; amount: number }): string;
  signedNotification(notification: { paymentId: string; secret: string; ts?: number }): SignedNotification;
}

const COLLECTOR_ID = 202809963;
const errorBodies: Record<number, { message: string; error: string }> = {
  400: { message: 'invalid body', error: 'bad_request' },
  401: { message: 'invalid access token', error: 'unauthorized' },
  403: { message: 'forbidden', error: 'forbidden' },
  404: { message: 'not found', error: 'not_found' },
  429: { message: 'Too Many Requests', error: 'too_many_requests' },
  500: { message: 'Internal server error', error: 'internal_error' },
  503: { message: 'Service unavailable', error: 'service_unavailable' },
};

export async function startFakeMercadoPago(options: { accessToken: string }): Promise<FakeMercadoPago> {
  const received: ReceivedPreference[] = [];
  const byKey = new Map<string, Record<string, unknown>>();
  const payments = new Map<string, Record<string, unknown>>();
  const failures: { status: number; headers: Record<string, string> }[] = [];
  let getPaymentCalls = 0;
  let nextPaymentId = 1_310_000_000 + Math.floor(Math.random() * 1_000_000);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJson(req);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const preferencePost = req.method === 'POST' && /^\/checkout\/preferences\/?$/.test(path);
    const paymentGet = req.method === 'GET' ? /^\/v1\/payments\/([^/]+)$/.exec(path) : null;
    if (preferencePost) received.push({ body, headers: req.headers, idempotencyKey: header(req, 'x-idempotency-key'), authorization: header(req, 'authorization') });
    if (paymentGet) getPaymentCalls += 1;
    const failure = failures.shift();
    if (failure) return error(res, failure.status, failure.headers);
    if (header(req, 'authorization') !== `Bearer ${options.accessToken}`) return error(res, 401);
    if (preferencePost) {
      const key = header(req, 'x-idempotency-key') ?? randomUUID();
      const existing = byKey.get(key);
      if (existing) return json(res, 201, existing);
      const preference = preferenceFrom(body);
      byKey.set(key, preference);
      return json(res, 201, preference);
    }
    if (paymentGet) {
      const payment = payments.get(decodeURIComponent(paymentGet[1] ?? ''));
      if (!payment) return json(res, 404, { message: 'Payment not found', error: 'not_found', status: 404, cause: [] });
      return json(res, 200, payment);
    }
    return json(res, 404, { message: 'resource not found', error: 'not_found', status: 404, cause: [] });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => error(res, 500));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
    preferences: received,
    get preferencesCreated() {
      return byKey.size;
    },
    get getPaymentCalls() {
      return getPaymentCalls;
    },
    failNext(status, times = 1, headers = {}) {
      for (let i = 0; i < times; i++) failures.push({ status, headers });
    },
    createPayment({ externalReference, status, amount }) {
      const id = nextPaymentId++;
      const now = new Date().toISOString();
      payments.set(String(id), {
        id,
        date_created: now,
        date_approved: status === 'approved' ? now : null,
        date_last_updated: now,
        money_release_date: null,
        operation_type: 'regular_payment',
        payment_method_id: 'account_money',
        payment_type_id: 'account_money',
        status,
        status_detail: { approved: 'accredited', pending: 'pending_waiting_payment', rejected: 'cc_rejected_other_reason' }[status] ?? status,
        currency_id: 'ARS',
        description: null,
        live_mode: false,
        collector_id: COLLECTOR_ID,
        external_reference: externalReference,
        transaction_amount: amount,
        transaction_amount_refunded: 0,
        installments: 1,
        metadata: {},
      });
      return String(id);
    },
    signedNotification({ paymentId, secret, ts = Date.now() }) {
      const requestId = randomUUID();
      return {
        query: { 'data.id': paymentId, type: 'payment' },
        headers: { 'content-type': 'application/json', 'x-request-id': requestId, 'x-signature': signMercadoPagoNotification({ secret, dataId: paymentId, requestId, ts }) },
        body: { action: 'payment.updated', api_version: 'v1', type: 'payment', data: { id: paymentId }, date_created: new Date(ts).toISOString(), live_mode: false, id: nextPaymentId * 7, user_id: String(COLLECTOR_ID) },
      };
    },
  };
}

function preferenceFrom(body: Record<string, unknown>): Record<string, unknown> {
  const id = `${COLLECTOR_ID}-${randomUUID()}`;
  const items = Array.isArray(body.items) ? (body.items as Record<string, unknown>[]) : [];
  return {
    id,
    init_point: `https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=${id}`,
    sandbox_init_point: `https://sandbox.mercadopago.com.ar/checkout/v1/redirect?pref_id=${id}`,
    collector_id: COLLECTOR_ID,
    client_id: '6295877106812064',
    date_created: new Date().toISOString(),
    operation_type: 'regular_payment',
    site_id: 'MLA',
    external_reference: body.external_reference ?? '',
    notification_url: body.notification_url ?? null,
    back_urls: body.back_urls ?? { success: '', pending: '', failure: '' },
    auto_return: body.auto_return ?? '',
    expires: body.expires ?? false,
    expiration_date_from: body.expiration_date_from ?? null,
    expiration_date_to: body.expiration_date_to ?? null,
    items: items.map((item) => ({ description: '', picture_url: '', category_id: '', ...item })),
    payer: { name: '', surname: '', email: '', phone: { area_code: '', number: '' }, address: { zip_code: '', street_name: '', street_number: null } },
    payment_methods: { excluded_payment_methods: [{ id: '' }], excluded_payment_types: [{ id: '' }], installments: null, default_installments: null },
    metadata: {},
  };
}

function error(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const known = errorBodies[status] ?? { message: 'error', error: status >= 500 ? 'internal_error' : 'bad_request' };
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ ...known, status, cause: [] }));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}
