import { createHash } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { integrationEventCodec, integrationsStream } from '../../domain/integrations/integration-events.js';
import { Unauthorized } from '../../domain/shared/domain-error.js';
import { ExpectedRevision } from '../../infra/event-store/event-store.js';
import { BadRequest } from '../../infra/http/problem.js';
import { verifyMercadoPagoSignature } from '../../infra/integrations/mercadopago/webhook-signature.js';
import { IMMEDIATELY, keys } from '../../integrations/dispatch-plan.js';
import { outcomeEventId } from '../../integrations/dispatcher.js';
import { enqueue } from '../../integrations/outbox.js';
import type { Services } from '../services.js';

/** Mercado Pago signs each notification with its time; one older (or newer) than this is refused. */
const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

function queryValue(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The providers' callbacks. Each is verified before anything else (an invalid one changes nothing
 * and gets 401/403), then recorded for the reactors and answered at once: the work (fetching the
 * payment, confirming the booking) happens in the dispatcher, so a slow provider never makes
 * Mercado Pago time out and retry.
 */
export function webhookRoutes(services: Services): Router {
  const router = Router();

  router.post('/api/webhooks/mercadopago', async (req, res) => {
    const type = queryValue(req, 'type') ?? queryValue(req, 'topic') ?? (z.object({ type: z.string() }).safeParse(req.body).data?.type);
    const paymentId = queryValue(req, 'data.id') ?? queryValue(req, 'id');
    const requestId = req.get('x-request-id');
    const verdict = verifyMercadoPagoSignature({
      secret: services.integrations.mercadoPagoWebhookSecret,
      signatureHeader: req.get('x-signature'),
      requestId,
      dataId: paymentId,
      now: services.clock.now(),
      toleranceMs: SIGNATURE_TOLERANCE_MS,
    });
    if (!verdict.ok) throw new Unauthorized(`The notification's x-signature does not verify (${verdict.reason})`);
    // Merchant orders, chargebacks and the like are not ours to act on; Mercado Pago wants a 2xx anyway.
    if (type !== 'payment' || !paymentId || !requestId) {
      res.json({ received: true, handled: false });
      return;
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(paymentId)) throw new BadRequest([{ field: 'data.id', message: 'Must be a Mercado Pago payment id' }]);
    const fresh = await enqueue(services.db, {
      key: keys.payment(paymentId, requestId),
      integration: 'mercadopago',
      kind: 'mp.payment',
      therapistId: null,
      payload: { kind: 'mp.payment', paymentId },
      dueAt: IMMEDIATELY,
    });
    res.json({ received: true, handled: true, duplicate: !fresh });
  });

  // Twilio posts form-encoded callbacks; the signature covers the full URL and every parameter.
  router.post('/api/webhooks/twilio/status', express.urlencoded({ extended: false, limit: '20kb' }), async (req, res) => {
    const twilio = services.config.integrations.twilio;
    if (!twilio) throw new Unauthorized('Twilio is not configured: no status callback is expected');
    // Loaded only with Twilio configured: the SDK weighs megabytes of heap.
    const { parseTwilioStatus, verifyTwilioSignature } = await import('../../infra/integrations/twilio/status-callback.js');
    const params = z.record(z.string(), z.string()).safeParse(req.body ?? {});
    const url = `${services.config.integrations.urls.publicBaseUrl}${req.originalUrl}`;
    if (!params.success || !verifyTwilioSignature({ authToken: twilio.authToken, signature: req.get('x-twilio-signature') ?? '', url, params: params.data })) {
      throw new Unauthorized('The callback\'s X-Twilio-Signature does not verify');
    }
    const therapistId = z.uuid().safeParse(queryValue(req, 'therapist')).data;
    const key = queryValue(req, 'key');
    const status = parseTwilioStatus(params.data);
    if (!therapistId || !key || !status) throw new BadRequest([{ field: 'MessageStatus', message: 'A status callback names the message, its status, and our key' }]);
    const now = services.clock.now();
    const encoded = integrationEventCodec.encode({ type: 'MessageDeliveryUpdated', data: { key, providerId: status.messageSid, status: status.status, errorCode: status.errorCode, at: now.toISOString() } });
    // Twilio retries a callback it thinks failed: the same (message, status) is one event.
    const eventKey = `${key}:${createHash('sha256').update(`${status.messageSid}:${status.status}`).digest('hex').slice(0, 16)}`;
    await services.store.append(
      integrationsStream(therapistId),
      [{ eventId: outcomeEventId(eventKey, 0, 'MessageDeliveryUpdated'), ...encoded, metadata: { correlationId: String(res.locals.requestId ?? ''), causationId: null, actor: { kind: 'webhook', source: 'twilio' } } }],
      ExpectedRevision.any,
    );
    res.status(204).end();
  });

  return router;
}
