import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { connectGoogleCalendar, disconnectGoogleCalendar } from '../../commands/calendar-connection.js';
import { Forbidden } from '../../domain/shared/domain-error.js';
import { requireTherapist } from '../../infra/http/auth.js';
import { parseQuery } from '../../infra/http/parse.js';
import { PermanentIntegrationFailure } from '../../integrations/integration-errors.js';
import { calendarConnectionOf } from '../../integrations/calendar-grants.js';
import type { Services } from '../services.js';
import { callerOf, therapistCaller } from './caller.js';
import { rateLimits } from './rate-limits.js';

/** A consent started this long ago is refused at the callback. */
const STATE_TTL_MS = 15 * 60_000;

export const callbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512),
  error: z.string().max(200).optional(),
});

/**
 * The OAuth `state`: which therapist started the consent, until when, signed, so the callback (a
 * browser redirect, no bearer token) can only connect the calendar of the therapist who asked.
 */
function signState(secret: string, therapistId: string, expiresAtMs: number): string {
  const payload = `${therapistId}.${expiresAtMs}`;
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

function readState(secret: string, state: string, now: Date): string | undefined {
  const [therapistId, expires, mac] = state.split('.');
  if (!therapistId || !expires || !mac || !z.uuid().safeParse(therapistId).success) return undefined;
  const expected = createHmac('sha256', secret).update(`${therapistId}.${expires}`).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return Number(expires) > now.getTime() ? therapistId : undefined;
}

function page(title: string, text: string): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="es"><meta charset="utf-8"><title>${escape(title)}</title><body><h1>${escape(title)}</h1><p>${escape(text)}</p></body></html>`;
}

/** The therapist's integrations: which drivers run, the Google calendar connection, what failed. */
export function integrationRoutes(services: Services): Router {
  const router = Router();
  const secret = () => services.keys.derivedSecret('google oauth state');
  const redirectUri = () => `${services.config.integrations.urls.publicBaseUrl}/api/integrations/google/callback`;
  const runtime = () => services.integrations;

  // The consent's return: a browser redirect from Google, authenticated by its signed state.
  router.get('/api/integrations/google/callback', rateLimits(services).publicBookings, async (req, res) => {
    const query = parseQuery(callbackQuery, req.query);
    const therapistId = readState(secret(), query.state, services.clock.now());
    if (!therapistId) throw new Forbidden('The consent link is invalid or expired: start the connection again');
    res.setHeader('Content-Security-Policy', "default-src 'none'");
    if (query.error || !query.code) {
      res.status(400).type('html').send(page('Calendario no conectado', 'Google no dio acceso al calendario. Podés intentarlo de nuevo desde PsicoPay.'));
      return;
    }
    try {
      await connectGoogleCalendar(runtime().context, therapistId, query.code, redirectUri(), callerOf(res, { kind: 'therapist', id: therapistId }));
    } catch (error) {
      if (!(error instanceof PermanentIntegrationFailure)) throw error;
      res.status(400).type('html').send(page('Calendario no conectado', 'Google rechazó la autorización. Intentalo de nuevo desde PsicoPay.'));
      return;
    }
    runtime().busyTimes.forget(therapistId);
    res.type('html').send(page('Calendario conectado', 'Tus sesiones se agendarán en tu Google Calendar, con su enlace de Meet.'));
  });

  router.use('/api/integrations', requireTherapist(services.db, services.clock), rateLimits(services).therapist);

  router.get('/api/integrations', async (_req, res) => {
    const { therapistId } = therapistCaller(res);
    const connection = await calendarConnectionOf(services.store, therapistId);
    const failures = (await services.db('app.integration_dispatches')
      .select('key', 'integration', 'kind', 'last_error', 'attempts', 'updated_at')
      .where({ therapist_id: therapistId, status: 'failed' })
      .orderBy('updated_at', 'desc')
      .limit(20)) as { key: string; integration: string; kind: string; last_error: string | null; attempts: number; updated_at: Date }[];
    res.json({
      drivers: runtime().drivers(),
      googleCalendar: connection.status === 'connected' ? { status: 'connected', calendarId: connection.calendarId, connectedAt: connection.connectedAt } : connection.status === 'disconnected' ? { status: 'disconnected', reason: connection.reason, at: connection.at } : { status: 'not_connected' },
      recentFailures: failures.map((f) => ({ key: f.key, integration: f.integration, kind: f.kind, reason: f.last_error, attempts: f.attempts, at: f.updated_at.toISOString() })),
    });
  });

  router.post('/api/integrations/google/connect', (_req, res) => {
    const { therapistId } = therapistCaller(res);
    const state = signState(secret(), therapistId, services.clock.now().getTime() + STATE_TTL_MS);
    res.json({ consentUrl: runtime().gateways.calendar.consentUrl(state, redirectUri()), expiresInSeconds: STATE_TTL_MS / 1000 });
  });

  router.delete('/api/integrations/google', async (_req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    await disconnectGoogleCalendar(runtime().context, therapistId, caller);
    runtime().busyTimes.forget(therapistId);
    res.status(204).end();
  });

  return router;
}
