import { expect } from 'vitest';
import { issueAuditorToken } from '../../infra/auth/auditor-credentials.js';
import { issueTherapistToken } from '../../infra/auth/credentials.js';
import { bookingBody, openTherapist } from './calendar-fixtures.js';
import type { Resources } from './route-catalogue.js';
import type { TestService } from './service.js';

/** A therapist with one of everything: a rule, an exception, a confirmed booking, its session and patient, a note, a spare token. */
export interface Tenant extends Resources {
  readonly token: string;
  readonly patientToken: string;
  /** Values that must never appear in an answer to anyone else. */
  readonly secrets: readonly string[];
}

export async function aTenant(service: TestService, who: string): Promise<Tenant> {
  const therapist = await openTherapist(service);
  const t = therapist.token;
  const patient = { patientName: `Paciente ${who}`, patientEmail: `paciente.${who}@example.com`, patientPhone: `+54911${String(10_000_000 + who.charCodeAt(0) * 1000).slice(0, 8)}` };
  const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', patient) });
  expect(booked.status).toBe(201);
  const bookingId = String(booked.json.id);
  expect((await service.request('POST', `/api/bookings/${bookingId}/payment-received`, { token: t })).status).toBe(200);
  const confirmed = await service.request('POST', `/api/bookings/${bookingId}/confirm`, { token: t });
  expect(confirmed.status).toBe(200);
  const sessionId = String(confirmed.json.sessionId);
  const sessions = await service.request('GET', '/api/sessions?from=2027-03-01T00:00:00Z&to=2027-03-31T00:00:00Z', { token: t });
  const patientId = String((sessions.json.sessions as { patient: { id: string } }[])[0]?.patient.id);
  const note = await service.request('POST', `/api/patients/${patientId}/notes`, { token: t, body: { content: `Nota privada de ${who}` } });
  expect(note.status).toBe(201);
  const exception = await service.request('POST', '/api/availability/exceptions', { token: t, body: { date: '2027-03-16', reason: `Motivo privado de ${who}` } });
  expect(exception.status).toBe(201);
  const rules = await service.request('GET', '/api/availability/rules', { token: t });
  const spare = await issueTherapistToken(service.services.db, therapist.id, { label: 'spare' });
  // Tuesdays at 11:00 from the week after, within the calendar openTherapist gives.
  const recurrence = await service.request('POST', '/api/recurring', { token: t, body: { patientId, frequency: 'weekly', dayOfWeek: 2, time: '11:00', startDate: '2027-03-09' } });
  expect(recurrence.status).toBe(201);
  return {
    therapistId: therapist.id,
    slug: therapist.slug,
    bookingId,
    sessionId,
    patientId,
    noteId: String(note.json.id),
    ruleId: String((rules.json.rules as { id: string }[])[0]?.id),
    exceptionId: String(exception.json.id),
    tokenId: spare.id,
    recurrenceId: String(recurrence.json.id),
    token: t,
    patientToken: String(booked.json.patientToken),
    secrets: [patient.patientName, patient.patientEmail, patient.patientPhone, `Nota privada de ${who}`, `Motivo privado de ${who}`, bookingId, sessionId, patientId],
  };
}

/** Tokens that must not open a therapist's routes: revoked, expired (by the service's clock), an auditor's. */
export async function refusedTokens(service: TestService, therapistId: string) {
  const db = service.services.db;
  const now = service.services.clock.now();
  const revoked = await issueTherapistToken(db, therapistId, { label: 'revoked' });
  await db('app.therapist_credentials').where({ id: revoked.id }).update({ revoked_at: now });
  const expired = await issueTherapistToken(db, therapistId, { label: 'expired', expiresAt: new Date(now.getTime() - 1000) });
  const auditor = await issueAuditorToken(db, { name: 'Auditoría', therapistId: null, expiresAt: null });
  const revokedAuditor = await issueAuditorToken(db, { name: 'Auditoría revocada', therapistId: null, expiresAt: null });
  await db('app.auditor_credentials').where({ id: revokedAuditor.id }).update({ revoked_at: now });
  const expiredAuditor = await issueAuditorToken(db, { name: 'Auditoría vencida', therapistId: null, expiresAt: new Date(now.getTime() - 1000) });
  const scopedAuditor = await issueAuditorToken(db, { name: 'Auditoría de una terapeuta', therapistId, expiresAt: null });
  return { revoked: revoked.token, expired: expired.token, auditor: auditor.token, revokedAuditor: revokedAuditor.token, expiredAuditor: expiredAuditor.token, scopedAuditor: scopedAuditor.token };
}
