import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueAuditorToken } from '../../infra/auth/auditor-credentials.js';
import type { RecordedEvent } from '../../infra/event-store/event-store.js';
import { historyPage, StreamOwners } from '../../queries/audit-history.js';
import { auditViews } from '../../queries/audit-view.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService, type TestResponse } from '../support/service.js';

/** Someone whose contact is in the history, sealed, until they are forgotten. */
const LUCIA = { patientName: 'Lucía Auditada', patientEmail: 'lucia.auditada@example.com', patientPhone: '+5491144445555', reasonForConsultation: 'Ansiedad en el trabajo' };
/** What a booking and its confirmation put on the log; the integrations' outcomes come later, on their own. */
const LIFECYCLE = ['TherapistRegistered', 'WeeklyScheduleDefined', 'BookingRequested', 'PaymentStarted', 'BookingConfirmed', 'SessionScheduled', 'PatientRegistered'];

interface AuditEventJson {
  eventId: string;
  streamId: string;
  revision: number;
  position: string;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  actor: Record<string, unknown>;
  correlationId: string;
  causationId: string | null;
  data: Record<string, unknown>;
}

/**
 * Issue 15, the auditors' history: every event with who caused it, when, and why (correlation and
 * causation), by global position; filters that combine; personal data shown while it can still be
 * opened, and gone once the person is forgotten; an auditor bound to one therapist sees only theirs.
 */
describe('Audit: the event history', () => {
  const running = useTestService({ now: MONDAY_8AM });
  let auditor: string;
  let scoped: string;
  let a: { therapist: { id: string; token: string }; bookingId: string; patientId: string };
  let b: { therapist: { id: string; token: string }; bookingId: string; patientId: string };

  async function bookAndConfirm(who: Record<string, unknown>) {
    const { service } = running;
    const therapist = await openTherapist(service);
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', who) });
    expect(booked.status).toBe(201);
    const bookingId = String(booked.json.id);
    expect((await service.request('POST', `/api/bookings/${bookingId}/payment-received`, { token: therapist.token })).status).toBe(200);
    expect((await service.request('POST', `/api/bookings/${bookingId}/confirm`, { token: therapist.token })).status).toBe(200);
    // The confirmation's own events name the patient it registered (written before it answered).
    const scheduled = (await service.services.store.readStream(`therapist-${therapist.id}`)).find((e) => e.type === 'SessionScheduled');
    const patientId = String((scheduled?.data as { patientId?: string } | undefined)?.patientId);
    return { therapist, bookingId, patientId };
  }

  beforeAll(async () => {
    a = await bookAndConfirm(LUCIA);
    b = await bookAndConfirm({ patientName: 'Otro Paciente', patientEmail: 'otro@example.com', patientPhone: '+5491166667777' });
    const db = running.service.services.db;
    auditor = (await issueAuditorToken(db, { name: 'Estudio Contable', therapistId: null, expiresAt: null })).token;
    scoped = (await issueAuditorToken(db, { name: 'Auditoría de A', therapistId: a.therapist.id, expiresAt: null })).token;
  });

  const history = (query: string, token = auditor) => running.service.request('GET', `/api/audit/events?${query}`, { token });
  const eventsOf = (response: TestResponse) => response.json.events as AuditEventJson[];
  /** Every page of a query, following `next` until the scan reaches the head of the log. */
  async function allPages(query: string, token = auditor): Promise<{ events: AuditEventJson[]; pages: number }> {
    const events: AuditEventJson[] = [];
    let after: string | null = null;
    for (let pages = 1; ; pages++) {
      const page = await history(`${query}${after ? `&after=${after}` : ''}`, token);
      expect(page.status).toBe(200);
      events.push(...eventsOf(page));
      if (page.json.atHead === true) return { events, pages };
      after = String(page.json.next);
    }
  }
  const byPosition = (x: RecordedEvent, y: RecordedEvent) => (x.position.commit === y.position.commit ? Number(x.position.prepare - y.position.prepare) : x.position.commit < y.position.commit ? -1 : 1);

  it("given a therapist's booking confirmed, when an auditor pages through that therapist's history two at a time, then every event of theirs and their patient's comes once, in log order, with its metadata", async () => {
    const store = running.service.services.store;
    const expected = [...(await store.readStream(`therapist-${a.therapist.id}`)), ...(await store.readStream(`patient-${a.patientId}`))]
      .filter((e) => LIFECYCLE.includes(e.type))
      .sort(byPosition);

    const { events, pages } = await allPages(`therapistId=${a.therapist.id}&type=${LIFECYCLE.join(',')}&limit=2`);

    expect(events.map((e) => [e.streamId, e.revision, e.type])).toEqual(expected.map((e) => [e.streamId, e.streamRevision, e.type]));
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected.length / 2));
    const requested = events.find((e) => e.type === 'BookingRequested');
    const recorded = expected.find((e) => e.type === 'BookingRequested');
    expect(requested).toMatchObject({
      eventId: recorded?.eventId,
      streamId: `therapist-${a.therapist.id}`,
      position: `${recorded?.position.commit}:${recorded?.position.prepare}`,
      schemaVersion: 2,
      recordedAt: recorded?.recordedAt.toISOString(),
      actor: { kind: 'patient', bookingId: a.bookingId },
      correlationId: recorded?.metadata.correlationId,
      causationId: recorded?.metadata.causationId ?? null,
    });
    expect(events.find((e) => e.type === 'BookingConfirmed')?.actor).toEqual({ kind: 'therapist', id: a.therapist.id });
  });

  it('combines filters: one stream, some types, a window of recording time', async () => {
    const stream = `therapist-${b.therapist.id}`;
    const requested = await allPages(`stream=${stream}&type=BookingRequested`);
    expect(requested.events.map((e) => [e.streamId, e.type, e.data.bookingId])).toEqual([[stream, 'BookingRequested', b.bookingId]]);

    const confirmed = (await running.service.services.store.readStream(stream)).find((e) => e.type === 'BookingConfirmed');
    const at = encodeURIComponent(confirmed?.recordedAt.toISOString() ?? '');
    const window = await allPages(`therapistId=${b.therapist.id}&from=${at}&to=${at}`);
    expect(window.events.map((e) => e.eventId)).toContain(confirmed?.eventId);
    expect(window.events.every((e) => e.recordedAt === confirmed?.recordedAt.toISOString())).toBe(true);
    expect(window.events.every((e) => e.streamId.endsWith(b.therapist.id) || e.streamId === `patient-${b.patientId}`)).toBe(true);
  });

  it('bounds what one request scans, and a bounded scan goes on from its cursor to the same answer', async () => {
    const { store } = running.service.services;
    const owners = new StreamOwners(store);
    const filter = { therapistId: b.therapist.id, types: LIFECYCLE };
    const whole = await historyPage(store, owners, filter, { after: null, limit: 1000, maxScanned: 1_000_000 });
    const pieces: RecordedEvent[] = [];
    let after = null;
    for (let scans = 0; scans < 1000; scans++) {
      const page = await historyPage(store, owners, filter, { after, limit: 1000, maxScanned: 7 });
      expect(page.scanned).toBeLessThanOrEqual(7);
      pieces.push(...page.events);
      if (page.atHead) break;
      after = page.next;
    }
    expect(pieces.map((e) => e.eventId)).toEqual(whole.events.map((e) => e.eventId));
    expect(whole.events.length).toBeGreaterThanOrEqual(6);
  });

  it("shows a patient's sealed contact opened while it can be, and as forgotten once they are forgotten", async () => {
    const patientStream = `patient-${a.patientId}`;
    const contactOf = async (stream: string, type: string) => eventsOf(await history(`stream=${stream}&type=${type}`)).at(0)?.data.contact;
    const lucia = { name: LUCIA.patientName, email: LUCIA.patientEmail, phone: LUCIA.patientPhone };
    expect(await contactOf(`therapist-${a.therapist.id}`, 'BookingRequested')).toEqual({ sealed: true, value: { ...lucia, reasonForConsultation: LUCIA.reasonForConsultation } });
    expect(await contactOf(patientStream, 'PatientRegistered')).toMatchObject({ sealed: true, value: lucia });

    expect((await running.service.request('POST', `/api/patients/${a.patientId}/forget`, { token: a.therapist.token })).status).toBe(200);

    expect(await contactOf(`therapist-${a.therapist.id}`, 'BookingRequested')).toEqual({ sealed: true, forgotten: true });
    expect(await contactOf(patientStream, 'PatientRegistered')).toEqual({ sealed: true, forgotten: true });
    // The stream routes show the same view; nothing of the person is left in any answer.
    const stream = await running.service.request('GET', `/api/audit/streams/${patientStream}`, { token: auditor });
    const therapist = await running.service.request('GET', `/api/audit/therapists/${a.therapist.id}/events`, { token: auditor });
    for (const answer of [stream, therapist, await history(`therapistId=${a.therapist.id}`)]) {
      expect(answer.status).toBe(200);
      for (const value of [LUCIA.patientName, LUCIA.patientEmail, LUCIA.patientPhone, LUCIA.reasonForConsultation]) expect(JSON.stringify(answer.body)).not.toContain(value);
    }
    expect((stream.json.events as AuditEventJson[]).map((e) => e.type)).toContain('PatientForgotten');
  });

  it("withholds a sealed value that is a therapist's secret (a calendar grant), not personal data", async () => {
    const { keys, logger } = running.service.services;
    const refreshToken = await keys.sealForTherapist(b.therapist.id, 'google-calendar', 'refresh-token-secreto');
    const granted: RecordedEvent = {
      eventId: randomUUID(), streamId: `calendar-${b.therapist.id}`, streamRevision: 0, position: { commit: 1n, prepare: 1n }, type: 'GoogleCalendarConnected', schemaVersion: 1,
      data: { calendarId: 'primary', refreshToken, connectedAt: MONDAY_8AM }, metadata: { correlationId: 'c', causationId: null, actor: { kind: 'therapist', id: b.therapist.id } }, recordedAt: new Date(MONDAY_8AM),
    };
    const [view] = await auditViews(keys, logger, [granted]);
    expect(view?.data).toEqual({ calendarId: 'primary', refreshToken: { sealed: true, withheld: true }, connectedAt: MONDAY_8AM });
  });

  it("gives an auditor bound to one therapist that therapist's history and their patients', and refuses everyone else's", async () => {
    const own = await allPages(`therapistId=${a.therapist.id}`, scoped);
    expect(own.events.length).toBeGreaterThan(0);
    const theirs = (streamId: string) => streamId.endsWith(a.therapist.id) || streamId === `patient-${a.patientId}`;
    expect(own.events.filter((e) => !theirs(e.streamId))).toEqual([]);
    expect((await history(`stream=patient-${a.patientId}`, scoped)).status).toBe(200);

    for (const query of ['limit=10', `therapistId=${b.therapist.id}`, `stream=therapist-${b.therapist.id}`, `stream=patient-${b.patientId}`, `therapistId=${a.therapist.id}&stream=patient-${b.patientId}`]) {
      const refused = await history(query, scoped);
      expect(refused.status, query).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(JSON.stringify(refused.body)).not.toContain(b.bookingId);
    }
    expect((await running.service.request('GET', `/api/audit/therapists/${b.therapist.id}/calendar?asOf=${new Date().toISOString()}`, { token: scoped })).status).toBe(403);
  });

  it('answers malformed filters with 400, field by field', async () => {
    const cases: [string, string][] = [
      ['type=Booking%20Requested', 'type'],
      ['from=2027-03-02T00:00:00Z&to=2027-03-01T00:00:00Z', 'to'],
      ['from=yesterday', 'from'],
      ['stream=../../etc', 'stream'],
      ['therapistId=not-a-uuid', 'therapistId'],
      ['after=12', 'after'],
    ];
    for (const [query, field] of cases) {
      const refused = await history(query);
      expect(refused.status, query).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((refused.json.errors as { field: string }[]).map((e) => e.field), query).toContain(field);
    }
  });
});
