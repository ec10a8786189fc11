import type { Express } from 'express';

/**
 * Who may call each route of the router. The security suite enumerates the router itself and fails
 * on any route missing here, so a new route is born with its access decided and tried.
 *
 *   public     anyone; answers carry no personal data
 *   patient    anyone holding a booking's patient token (the body, ?token= or a bearer header)
 *   therapist  a therapist's bearer token; only their own resources
 *   auditor    an auditor's bearer token; read-only event history
 *   ops        liveness and readiness probes (load balancers call them unauthenticated); metrics (METRICS_TOKEN when set)
 *   signed     providers' callbacks: a webhook signature (Mercado Pago, Twilio) or a signed OAuth state (Google)
 *   dev        the local drivers' stand-in pages (checkout, consent); mounted only without credentials
 */
export type Access = 'public' | 'patient' | 'therapist' | 'auditor' | 'ops' | 'signed' | 'dev';

/** The ids of one therapist's resources, to put into a route's path. */
export interface Resources {
  readonly therapistId: string;
  readonly slug: string;
  readonly bookingId: string;
  readonly sessionId: string;
  readonly patientId: string;
  readonly noteId: string;
  readonly ruleId: string;
  readonly exceptionId: string;
  readonly tokenId: string;
  readonly recurrenceId: string;
  /** The patient token of `bookingId`. */
  readonly patientToken: string;
}

export interface RouteEntry {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly access: Access;
  /** The path with the resources' ids, query included. */
  readonly url: (r: Resources) => string;
  /** A valid body (commands); absent for routes without one. */
  readonly body?: (r: Resources) => Record<string, unknown>;
}

const fill = (path: string) => (r: Resources) =>
  path
    .replace(':slug', r.slug)
    .replace(':therapistId', r.therapistId)
    .replace(':streamId', `therapist-${r.therapistId}`)
    .replace(':noteId', r.noteId)
    .replace(/^\/api\/(public\/)?bookings?\/:id/, (m) => m.replace(':id', r.bookingId))
    .replace('/api/sessions/:id', `/api/sessions/${r.sessionId}`)
    .replace('/api/patients/:id', `/api/patients/${r.patientId}`)
    .replace('/api/availability/rules/:id', `/api/availability/rules/${r.ruleId}`)
    .replace('/api/availability/exceptions/:id', `/api/availability/exceptions/${r.exceptionId}`)
    .replace('/api/tokens/:id', `/api/tokens/${r.tokenId}`)
    .replace('/api/recurring/:patientId', `/api/recurring/${r.patientId}`)
    .replace('/api/recurring/:id', `/api/recurring/${r.recurrenceId}`)
    .replace(':preferenceId', 'local-pref-00000000-0000-4000-8000-000000000000');

function route(method: RouteEntry['method'], path: string, access: Access, extra: { query?: (r: Resources) => string; body?: RouteEntry['body'] } = {}): RouteEntry {
  const url = fill(path);
  return { method, path, access, url: (r) => url(r) + (extra.query ? `?${extra.query(r)}` : ''), ...(extra.body ? { body: extra.body } : {}) };
}

const reason = () => ({ reason: 'Un imprevisto' });
const profile = () => ({ name: 'Ana Gómez', email: 'ana.gomez@example.com', phone: '+5491155550000' });

export const ROUTES: readonly RouteEntry[] = [
  route('GET', '/health', 'ops'),
  route('GET', '/ready', 'ops'),
  route('GET', '/metrics', 'ops'),
  route('GET', '/api/openapi.json', 'public'),
  route('GET', '/api/docs', 'public'),
  { method: 'GET', path: '/api/docs/:asset', access: 'public', url: () => '/api/docs/docs.js' },
  route('GET', '/api/public/therapists/:slug', 'public'),
  route('GET', '/api/public/availability', 'public', { query: (r) => `therapistId=${r.therapistId}` }),
  route('POST', '/api/public/bookings', 'public', {
    body: (r) => ({ therapistId: r.therapistId, patientName: 'Luis Díaz', patientEmail: 'luis@example.com', patientPhone: '+5491166660000', requestedDate: '2027-03-02', requestedTime: '11:00', paymentMethod: 'bank_transfer' }),
  }),
  route('GET', '/api/public/bookings/:id', 'patient', { query: (r) => `token=${r.patientToken}` }),
  route('GET', '/api/public/booking/:id', 'patient', { query: (r) => `token=${r.patientToken}` }),
  route('GET', '/api/public/bookings/:id/calendar.ics', 'patient', { query: (r) => `token=${r.patientToken}` }),
  route('POST', '/api/public/bookings/:id/cancel', 'patient', { body: (r) => ({ token: r.patientToken, reason: 'No puedo' }) }),
  route('GET', '/api/availability/rules', 'therapist'),
  route('POST', '/api/availability/rules', 'therapist', { body: () => ({ rules: [{ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] }) }),
  route('DELETE', '/api/availability/rules/:id', 'therapist'),
  route('GET', '/api/availability/exceptions', 'therapist'),
  route('POST', '/api/availability/exceptions', 'therapist', { body: () => ({ date: '2027-03-09', reason: 'Congreso' }) }),
  route('DELETE', '/api/availability/exceptions/:id', 'therapist'),
  route('GET', '/api/availability/settings', 'therapist'),
  route('PUT', '/api/availability/settings', 'therapist', { body: () => ({ bufferAfterMinutes: 10 }) }),
  route('GET', '/api/availability/preview', 'therapist'),
  route('GET', '/api/bookings', 'therapist'),
  route('POST', '/api/bookings/:id/payment-received', 'therapist', { body: () => ({ reference: 'TRX-1' }) }),
  route('POST', '/api/bookings/:id/confirm', 'therapist'),
  route('POST', '/api/bookings/:id/cancel', 'therapist', { body: reason }),
  route('POST', '/api/bookings/:id/patient-token', 'therapist'),
  route('DELETE', '/api/bookings/:id/patient-token', 'therapist'),
  route('GET', '/api/sessions', 'therapist', { query: () => 'from=2027-03-01T00:00:00Z&to=2027-03-31T00:00:00Z' }),
  route('POST', '/api/sessions/:id/complete', 'therapist', { body: () => ({}) }),
  route('POST', '/api/sessions/:id/no-show', 'therapist', { body: () => ({}) }),
  route('POST', '/api/sessions/:id/cancel', 'therapist', { body: reason }),
  route('POST', '/api/patients', 'therapist', { body: profile }),
  route('GET', '/api/patients', 'therapist'),
  route('GET', '/api/patients/:id', 'therapist'),
  route('PUT', '/api/patients/:id', 'therapist', { body: profile }),
  route('GET', '/api/patients/:id/history', 'therapist'),
  route('GET', '/api/patients/:id/notes', 'therapist'),
  route('POST', '/api/patients/:id/notes', 'therapist', { body: () => ({ content: 'Prefiere turnos por la mañana' }) }),
  route('PUT', '/api/patients/:id/notes/:noteId', 'therapist', { body: () => ({ type: 'general', content: 'Prefiere los martes' }) }),
  route('POST', '/api/patients/:id/notes/:noteId/pin', 'therapist'),
  route('POST', '/api/patients/:id/notes/:noteId/unpin', 'therapist'),
  route('DELETE', '/api/patients/:id/notes/:noteId', 'therapist'),
  route('PUT', '/api/patients/:id/preferences', 'therapist', { body: () => ({ preferredDays: [2], customPrice: 12000 }) }),
  route('POST', '/api/patients/:id/forget', 'therapist'),
  route('POST', '/api/sessions', 'therapist', { body: (r) => ({ patientId: r.patientId, date: '2027-03-23', time: '09:00' }) }),
  route('POST', '/api/sessions/:id/payment-received', 'therapist', { body: () => ({ reference: 'TRX-2' }) }),
  route('POST', '/api/recurring', 'therapist', { body: (r) => ({ patientId: r.patientId, frequency: 'weekly', dayOfWeek: 4, time: '16:00', startDate: '2027-03-04' }) }),
  route('GET', '/api/recurring/:patientId', 'therapist'),
  route('PUT', '/api/recurring/:id', 'therapist', { body: () => ({ frequency: 'weekly', dayOfWeek: 2, time: '11:00', startDate: '2027-03-02', price: 14000 }) }),
  route('POST', '/api/recurring/:id/pause', 'therapist'),
  route('POST', '/api/recurring/:id/resume', 'therapist'),
  route('DELETE', '/api/recurring/:id', 'therapist'),
  route('GET', '/api/recurring/:id/occurrences', 'therapist', { query: () => 'from=2027-03-01&to=2027-04-30' }),
  route('GET', '/api/notifications', 'therapist'),
  route('POST', '/api/notifications/read', 'therapist', { body: () => ({ ids: ['booking:00000000-0000-4000-8000-000000000000'] }) }),
  route('GET', '/api/tokens', 'therapist'),
  route('POST', '/api/tokens', 'therapist', { body: () => ({ label: 'laptop' }) }),
  route('DELETE', '/api/tokens/:id', 'therapist'),
  route('POST', '/api/tokens/:id/rotate', 'therapist', { body: () => ({}) }),
  route('GET', '/api/integrations', 'therapist'),
  route('POST', '/api/integrations/google/connect', 'therapist'),
  route('DELETE', '/api/integrations/google', 'therapist'),
  route('POST', '/api/webhooks/mercadopago', 'signed', { query: () => 'data.id=1234567890&type=payment', body: () => ({ action: 'payment.updated', type: 'payment', data: { id: '1234567890' } }) }),
  route('POST', '/api/webhooks/twilio/status', 'signed', { query: (r) => `therapist=${r.therapistId}&key=whatsapp%3Abooking_confirmed%3A${r.bookingId}` }),
  route('GET', '/api/integrations/google/callback', 'signed', { query: (r) => `code=forged&state=${r.therapistId}.99999999999999.AAAA` }),
  route('GET', '/dev/mercadopago/checkout/:preferenceId', 'dev'),
  route('POST', '/dev/mercadopago/checkout/:preferenceId', 'dev'),
  route('GET', '/dev/google/consent', 'dev'),
  route('GET', '/api/audit/events', 'auditor'),
  route('GET', '/api/audit/therapists/:therapistId/events', 'auditor'),
  // An instant after everything the suite records: the calendar as the log stands.
  route('GET', '/api/audit/therapists/:therapistId/calendar', 'auditor', { query: () => 'asOf=2099-01-01T00:00:00Z' }),
  route('GET', '/api/audit/streams/:streamId', 'auditor'),
];

interface Layer {
  readonly route?: { readonly path: string; readonly methods: Readonly<Record<string, boolean>> };
  readonly handle?: { readonly stack?: readonly Layer[] };
}

/** Every (method, path) the app's router answers, walked from the router itself (express 5). */
export function routesOf(app: Express): { method: string; path: string }[] {
  const found: { method: string; path: string }[] = [];
  const walk = (stack: readonly Layer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods)) found.push({ method: method.toUpperCase(), path: layer.route.path });
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: readonly Layer[] } }).router.stack);
  return found;
}
