import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Google Calendar event id of a session's event. Google accepts client-chosen ids in base32hex
 * (a–v, 0–9), 5–1024 characters; choosing it ourselves makes a retried insert answer 409 instead of
 * creating a second event. A uuid's hex digits are already base32hex; the prefix keeps our ids
 * recognisable in a therapist's calendar export. Anything that is not a uuid is hashed, so the
 * function is total and still deterministic.
 */
export function calendarEventIdOf(sessionId: string): string {
  const hex = UUID.test(sessionId) ? sessionId.replaceAll('-', '').toLowerCase() : createHash('sha256').update(sessionId).digest('hex');
  return `ps${hex}`;
}

/** Ours by construction (a session's event): already busy as the session, whichever session it was. */
export function isSessionEventId(eventId: string): boolean {
  return /^ps(?:[0-9a-f]{32}|[0-9a-f]{64})$/.test(eventId);
}
