import { beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/app.js';
import { bookingBody, MONDAY_8AM } from '../support/calendar-fixtures.js';
import { ROUTES, routesOf, type RouteEntry } from '../support/route-catalogue.js';
import { useTestService, type TestResponse } from '../support/service.js';
import { aTenant, refusedTokens, type Tenant } from '../support/tenant-world.js';
import { newestCommittedPosition } from '../support/log-position.js';

/**
 * Every route of the router, tried with every credential that must not open it (issue 11): no token,
 * a revoked one, an expired one, another role's, another therapist's. The status is checked, and
 * that no answer carries the other therapist's data.
 */
describe('Security: every route, every credential that must not open it', () => {
  const running = useTestService({ now: MONDAY_8AM });
  let a: Tenant;
  let b: Tenant;
  let refused: Awaited<ReturnType<typeof refusedTokens>>;
  beforeAll(async () => {
    a = await aTenant(running.service, 'A');
    b = await aTenant(running.service, 'B');
    refused = await refusedTokens(running.service, b.therapistId);
  });

  const call = (route: RouteEntry, owner: Tenant, token?: string): Promise<TestResponse> =>
    running.service.request(route.method, route.url(owner), { ...(token ? { token } : {}), ...(route.body ? { body: route.body(owner) } : {}) });
  // An id the caller put in the path may come back (a problem's `instance`): it is theirs already.
  const leaks = (response: TestResponse, tenant: Tenant) => tenant.secrets.filter((secret) => !response.url.includes(secret) && JSON.stringify(response.body ?? '').includes(secret));
  const expectRefused = (response: TestResponse, status: number, tenant: Tenant) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(leaks(response, tenant)).toEqual([]);
  };

  it('has an entry for every route the router answers, and no entry for a route that is gone', () => {
    const routed = routesOf(createHttpApp(running.service.services)).map((r) => `${r.method} ${r.path}`);
    const catalogued = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(routed.filter((r) => !catalogued.includes(r)), 'routes without an entry in test/support/route-catalogue.ts').toEqual([]);
    expect(catalogued.filter((r) => !routed.includes(r)), 'entries for routes the router does not answer').toEqual([]);
  });

  const therapistRoutes = ROUTES.filter((r) => r.access === 'therapist');
  const auditorRoutes = ROUTES.filter((r) => r.access === 'auditor');

  it.each(therapistRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: 401 without a token, revoked or expired; 403 for an auditor', async (_name, route) => {
    expectRefused(await call(route, a), 401, a);
    expectRefused(await call(route, a, 'tk_not-a-token-anyone-was-given'), 401, a);
    expectRefused(await call(route, b, refused.revoked), 401, b);
    expectRefused(await call(route, b, refused.expired), 401, b);
    expectRefused(await call(route, b, refused.auditor), 403, b);
  });

  it.each(therapistRoutes.filter((r) => r.path.includes(':')).map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s: another therapist's resource answers 404, with none of its data",
    async (_name, route) => {
      const history = async () => (await running.service.services.store.readStream(`therapist-${a.therapistId}`)).length;
      const before = await history();
      expectRefused(await call(route, a, b.token), 404, a);
      expect(await history(), "another therapist's request changed nothing").toBe(before);
    },
  );

  it.each(therapistRoutes.filter((r) => r.method === 'GET').map((r) => [`${r.method} ${r.path}`, r] as const))('%s: a therapist reads their own, and nothing of another', async (_name, route) => {
    const own = await call(route, b, b.token);
    expect(own.status).toBe(200);
    expect(leaks(own, a)).toEqual([]);
  });

  it.each(auditorRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: 401 without a token, revoked or expired; 403 for a therapist and for another therapist's auditor", async (_name, route) => {
    expectRefused(await call(route, a), 401, a);
    expectRefused(await call(route, a, refused.revokedAuditor), 401, a);
    expectRefused(await call(route, a, refused.expiredAuditor), 401, a);
    expectRefused(await call(route, a, a.token), 403, a);
    // Bound to therapist B: A's history (or the whole log) is not theirs to read.
    expectRefused(await call(route, a, refused.scopedAuditor), 403, a);
    expect((await call(route, a, refused.auditor)).status).toBe(200);
  });

  it.each(ROUTES.filter((r) => r.access === 'signed').map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: without a valid provider signature (or signed state) it is refused and changes nothing',
    async (_name, route) => {
      const before = await newestCommittedPosition(running.service.services.db);
      const outbox = async () => Number(((await running.service.services.db('app.integration_dispatches').count('* as n').first()) as { n: string }).n);
      const queued = await outbox();
      const response = await call(route, a);
      expect([401, 403]).toContain(response.status);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const forged = await running.service.request(route.method, route.url(a), { headers: { 'x-signature': 'ts=1,v1=00', 'x-request-id': 'r-1', 'x-twilio-signature': 'AAAA' }, ...(route.body ? { body: route.body(a) } : {}) });
      expect([401, 403]).toContain(forged.status);
      expect(await newestCommittedPosition(running.service.services.db)).toEqual(before);
      expect(await outbox()).toBe(queued);
    },
  );

  it('answers a position past the log’s range or a huge page with 400, never a 500', async () => {
    for (const query of ['after=0:99999999999999999999', 'after=18446744073709551616:0', 'after=1:2:3', 'limit=1000000', 'after=-2:0']) {
      expectRefused(await running.service.request('GET', `/api/audit/events?${query}`, { token: refused.auditor }), 400, a);
    }
    const page = await running.service.request('GET', '/api/audit/events?after=18446744073709551615:9223372036854775807', { token: refused.auditor });
    expect(page.status).toBe(200);
    expect(page.json.events).toEqual([]);
  });

  it('gives the auditor bound to one therapist that therapist’s history only', async () => {
    const own = await running.service.request('GET', `/api/audit/therapists/${b.therapistId}/events`, { token: refused.scopedAuditor });
    expect(own.status).toBe(200);
    expect((own.json.events as { streamId: string }[]).every((e) => e.streamId === `therapist-${b.therapistId}`)).toBe(true);
    expect((await running.service.request('GET', `/api/audit/streams/patient-${b.patientId}`, { token: refused.scopedAuditor })).status).toBe(200);
    expectRefused(await running.service.request('GET', `/api/audit/streams/patient-${a.patientId}`, { token: refused.scopedAuditor }), 403, a);
  });

  it.each(ROUTES.filter((r) => r.access === 'public' && r.method === 'GET').map((r) => [`${r.method} ${r.path}`, r] as const))('%s: a public answer carries no personal data', async (_name, route) => {
    const response = await call(route, a);
    expect(response.status).toBe(200);
    expect(leaks(response, a)).toEqual([]);
  });

  it.each(ROUTES.filter((r) => r.access === 'patient' && r.method === 'GET').map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s: the booking's own token opens its status and nothing personal; none, another booking's or a made-up one does not",
    async (_name, route) => {
      const own = await call(route, a);
      expect(own.status).toBe(200);
      // The booking's own status names it and its session; nothing about the person.
      expect(leaks(own, a).filter((s) => s !== a.bookingId && s !== a.sessionId)).toEqual([]);
      const bare = route.url(a).split('?')[0] ?? '';
      expectRefused(await running.service.request('GET', bare), 401, a);
      expectRefused(await running.service.request('GET', `${bare}?token=${b.patientToken}`), 403, a);
      expectRefused(await running.service.request('GET', bare, { headers: { authorization: `Bearer ${b.patientToken}` } }), 403, a);
      expectRefused(await running.service.request('GET', `${bare}?token=pt_k1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`), 403, a);
    },
  );

  it("cancels a booking only with its own patient token: another booking's, a made-up one or a revoked one are refused", async () => {
    const cancel = ROUTES.find((r) => r.access === 'patient' && r.method === 'POST');
    if (!cancel) throw new Error('no patient route');
    const before = await newestCommittedPosition(running.service.services.db);
    expectRefused(await running.service.request('POST', cancel.url(a), { body: { token: b.patientToken } }), 403, a);
    expectRefused(await running.service.request('POST', cancel.url(a), { body: { token: 'pt_k1.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }), 403, a);
    expectRefused(await running.service.request('POST', cancel.url(a), { body: {} }), 422, a);
    expect(await newestCommittedPosition(running.service.services.db)).toEqual(before);

    const booked = await running.service.request('POST', '/api/public/bookings', { body: bookingBody(a.therapistId, '09:00', { patientName: 'Rita Sosa', patientEmail: 'rita@example.com', patientPhone: '+5491177770000' }) });
    const id = String(booked.json.id);
    expect((await running.service.request('DELETE', `/api/bookings/${id}/patient-token`, { token: a.token })).status).toBe(204);
    expect((await running.service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: booked.json.patientToken } })).status).toBe(403);
    const reissued = await running.service.request('POST', `/api/bookings/${id}/patient-token`, { token: a.token });
    expect(reissued.status).toBe(201);
    expect((await running.service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: booked.json.patientToken } })).status).toBe(403);
    expect((await running.service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: reissued.json.patientToken } })).json).toMatchObject({ status: 'cancelled' });
  });
});
