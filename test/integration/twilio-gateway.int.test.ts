import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTwilioSignature, parseTwilioStatus } from '../../infra/integrations/twilio/status-callback.js';
import { TwilioWhatsAppGateway } from '../../infra/integrations/twilio/twilio-gateway.js';
import { PermanentIntegrationFailure, TransientIntegrationFailure } from '../../integrations/integration-errors.js';
import type { WhatsAppMessage } from '../../integrations/ports.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fakes/twilio-server.js';

const accountSid = `AC${'1'.repeat(32)}`;
const authToken = 'test-auth-token-0123456789abcdef';
const from = '+14155238886';

interface ReceivedCallback {
  readonly url: string;
  readonly signature: string | undefined;
  readonly params: Record<string, string>;
}

/** Our side of the status callback: records what Twilio posted, answers 204. */
async function startCallbackReceiver(): Promise<{ url: string; received: ReceivedCallback[]; close: () => Promise<void> }> {
  const received: ReceivedCallback[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const signature = req.headers['x-twilio-signature'];
      received.push({ url: `${base}${req.url ?? ''}`, signature: typeof signature === 'string' ? signature : undefined, params: Object.fromEntries(new URLSearchParams(body)) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let fake: FakeTwilio;
let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;
const gateway = () => new TwilioWhatsAppGateway({ accountSid, authToken, from, baseUrl: fake.url });
const message = (overrides: Partial<WhatsAppMessage> = {}): WhatsAppMessage => ({
  to: '+5491155550000',
  body: 'Hola Ana, tu sesión con Lic. Gómez quedó confirmada.',
  statusCallback: `${receiver.url}/api/webhooks/twilio/status?key=k1`,
  idempotencyKey: 'k1',
  ...overrides,
});

beforeAll(async () => {
  fake = await startFakeTwilio({ accountSid, authToken });
  receiver = await startCallbackReceiver();
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});

describe('Twilio WhatsApp gateway (the twilio SDK against a local Twilio API)', () => {
  it('sends through the Messages resource with whatsapp: addresses, the body, the status callback and Basic auth', async () => {
    const sent = await gateway().send(message());
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    const onWire = fake.messages.find((m) => m.json.sid === sent.sid);
    expect(onWire?.params).toEqual({
      From: 'whatsapp:+14155238886',
      To: 'whatsapp:+5491155550000',
      Body: 'Hola Ana, tu sesión con Lic. Gómez quedó confirmada.',
      StatusCallback: `${receiver.url}/api/webhooks/twilio/status?key=k1`,
    });
    expect(onWire?.auth).toEqual({ username: accountSid, password: authToken });
  });

  it('after a crash, a new gateway finds the message already sent by its body, even while it is still queued', async () => {
    const sentAfter = new Date(Date.now() - 1000);
    const original = message({ body: 'Recordatorio: sesión el lunes 15 de julio a las 10:00.', idempotencyKey: 'k2' });
    const sent = await gateway().send(original);
    const found = await gateway().findSent(original, sentAfter);
    expect(found).toEqual({ sid: sent.sid, status: 'queued' });
    const listCall = fake.requests.at(-1);
    expect(listCall?.method).toBe('GET');
    expect(listCall?.params).toMatchObject({ To: 'whatsapp:+5491155550000', From: 'whatsapp:+14155238886' });
  });

  it('finds nothing for a message never sent, nor for one sent before the time asked about', async () => {
    expect(await gateway().findSent(message({ body: 'Nunca enviado', idempotencyKey: 'k3' }), new Date(Date.now() - 1000))).toBeNull();
    const old = message({ body: 'Enviado hace rato', idempotencyKey: 'k4' });
    await gateway().send(old);
    expect(await gateway().findSent(old, new Date(Date.now() + 10 * 60_000))).toBeNull();
  });

  it('reports 429 as transient, with the status and Twilio code only', async () => {
    fake.failNext(429, 1, { code: 20429, message: 'Too Many Requests' });
    const error = await gateway().send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientIntegrationFailure);
    expect((error as TransientIntegrationFailure).status).toBe(429);
    expect((error as Error).message).toBe('Twilio send: HTTP 429 code 20429');
  });

  it('reports a 5xx as transient', async () => {
    fake.failNext(503, 1, { code: 20503, message: 'Service Unavailable' });
    await expect(gateway().send(message())).rejects.toBeInstanceOf(TransientIntegrationFailure);
  });

  it("reports an invalid 'To' (400, 21211) as permanent without the number in the message", async () => {
    fake.failNext(400, 1, { code: 21211, message: "The 'To' number whatsapp:+5491155550000 is not a valid phone number." });
    const error = await gateway().send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentIntegrationFailure);
    expect((error as Error).message).toBe('Twilio send: HTTP 400 code 21211');
    expect((error as Error).message).not.toContain('5491155550000');
  });

  it('reports wrong credentials (401, 20003) as permanent', async () => {
    const wrong = new TwilioWhatsAppGateway({ accountSid, authToken: 'not-the-token', from, baseUrl: fake.url });
    const error = await wrong.send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentIntegrationFailure);
    expect((error as Error).message).toBe('Twilio send: HTTP 401 code 20003');
  });

  it('reports a refused connection as transient', async () => {
    const closed = await startFakeTwilio({ accountSid, authToken });
    await closed.close();
    const unreachable = new TwilioWhatsAppGateway({ accountSid, authToken, from, baseUrl: closed.url });
    const error = await unreachable.send(message()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientIntegrationFailure);
    expect((error as Error).message).toBe('Twilio send: ECONNREFUSED');
  });

  it('a status callback signed by Twilio verifies and parses; a tampered one does not verify', async () => {
    const sent = await gateway().send(message({ idempotencyKey: 'k5' }));
    expect(await fake.sendStatusCallback(sent.sid, 'undelivered', '63016')).toBe(204);
    const callback = receiver.received.find((c) => c.params.MessageSid === sent.sid);
    if (!callback) throw new Error('the callback did not arrive');
    expect(verifyTwilioSignature({ authToken, signature: callback.signature, url: callback.url, params: callback.params })).toBe(true);
    expect(parseTwilioStatus(callback.params)).toEqual({ messageSid: sent.sid, status: 'undelivered', errorCode: '63016' });

    const tampered = { ...callback.params, MessageStatus: 'delivered' };
    expect(verifyTwilioSignature({ authToken, signature: callback.signature, url: callback.url, params: tampered })).toBe(false);
    expect(verifyTwilioSignature({ authToken, signature: callback.signature, url: `${callback.url}&key=other`, params: callback.params })).toBe(false);
    expect(verifyTwilioSignature({ authToken: 'another-token', signature: callback.signature, url: callback.url, params: callback.params })).toBe(false);
    expect(verifyTwilioSignature({ authToken, signature: undefined, url: callback.url, params: callback.params })).toBe(false);
  });

  it('a delivered callback has no error code; a body that is not a status callback parses to null', async () => {
    const sent = await gateway().send(message({ idempotencyKey: 'k6' }));
    await fake.sendStatusCallback(sent.sid, 'delivered');
    const callback = receiver.received.find((c) => c.params.MessageSid === sent.sid);
    expect(callback && parseTwilioStatus(callback.params)).toEqual({ messageSid: sent.sid, status: 'delivered', errorCode: null });
    expect(parseTwilioStatus({ MessageSid: 'nope', MessageStatus: 'delivered' })).toBeNull();
    expect(parseTwilioStatus({ MessageSid: sent.sid, MessageStatus: 'exploded' })).toBeNull();
  });
});
