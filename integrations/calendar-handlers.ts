import type { IntegrationEvent } from '../domain/integrations/integration-events.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import { calendarEventIdOf } from '../infra/integrations/google/calendar-event-id.js';
import { calendarGrantOf } from './calendar-grants.js';
import { NotFoundAtProvider } from './integration-errors.js';
import { keys } from './dispatch-plan.js';
import type { DispatchHandler } from './dispatcher.js';
import { driverOf, type IntegrationContext } from './integration-context.js';
import { dispatchOf, type DispatchRow } from './outbox.js';
import { patientContactOf } from './patient-contact.js';

async function sessionOf(ctx: IntegrationContext, row: DispatchRow) {
  if (!('sessionId' in row.payload) || !row.payload.sessionId || !row.therapistId) throw new Error(`Not a session row: ${row.key}`);
  const therapist = requireRegistered((await ctx.commands.therapists.load(therapistStream(row.therapistId))).state);
  return { therapist, sessionId: row.payload.sessionId, session: therapist.sessions[row.payload.sessionId] };
}

/**
 * The session's event in the therapist's calendar, with a Meet conference. Its id is derived from the
 * session id, so a retry (or a crash after Google made it) finds the same event. Times are the
 * session's as it stands when the call is made, so a move before it lands needs no patch.
 */
export function createEventHandler(ctx: IntegrationContext): DispatchHandler {
  return async (row, now) => {
    const { therapist, sessionId, session } = await sessionOf(ctx, row);
    if (!session || session.status !== 'scheduled') return { status: 'skipped', reason: 'the session is not scheduled any more' };
    if (Date.parse(session.endsAt) <= now.getTime()) return { status: 'skipped', reason: 'the session is over' };
    const grant = await calendarGrantOf({ store: ctx.store, keys: ctx.commands.keys, calendar: ctx.calendar }, therapist.therapistId);
    if (!grant) return { status: 'skipped', reason: 'no calendar connected' };
    const contact = await patientContactOf(ctx.store, ctx.commands.keys, session.patientId);
    // The confirmation writes the patient's record just after the session: wait for it.
    if (contact === undefined) return { status: 'postponed', until: new Date(now.getTime() + 2_000), reason: 'the patient record is not written yet' };
    // A forgotten patient's session stays in the calendar without their name.
    const created = await ctx.calendar.createEvent(grant, {
      eventId: calendarEventIdOf(sessionId),
      summary: contact ? `Sesión - ${contact.name}` : 'Sesión',
      description: contact ? `Teléfono: ${contact.phone}` : '',
      startsAt: new Date(session.startsAt),
      endsAt: new Date(session.endsAt),
      timeZone: therapist.policies.timezone,
      requestMeet: true,
    });
    const event: IntegrationEvent = { type: 'CalendarEventCreated', data: { key: row.key, sessionId, eventId: created.eventId, meetLink: created.meetLink, driver: driverOf(ctx.calendar), at: now.toISOString() } };
    return { status: 'done', events: [event], outcome: created };
  };
}

/** A moved session's event follows it; one not created yet takes the new time when it is. */
export function patchEventHandler(ctx: IntegrationContext): DispatchHandler {
  return async (row, now) => {
    const { therapist, sessionId, session } = await sessionOf(ctx, row);
    const create = await dispatchOf(ctx.db, keys.calendarCreate(sessionId));
    if (create?.status === 'in_flight') return { status: 'postponed', until: new Date(now.getTime() + 5_000), reason: 'the event is being created' };
    // Never tried: the create reads the new time when it runs. Tried (its answer may have been lost): patched here.
    if (create?.status !== 'done' && !(create && create.attempts > 0)) return { status: 'skipped', reason: 'no calendar event yet: it is made at the new time' };
    if (!session || session.status !== 'scheduled') return { status: 'skipped', reason: 'the session is not scheduled any more' };
    const grant = await calendarGrantOf({ store: ctx.store, keys: ctx.commands.keys, calendar: ctx.calendar }, therapist.therapistId);
    if (!grant) return { status: 'skipped', reason: 'no calendar connected' };
    const eventId = calendarEventIdOf(sessionId);
    try {
      await ctx.calendar.patchEvent(grant, eventId, { startsAt: new Date(session.startsAt), endsAt: new Date(session.endsAt), timeZone: therapist.policies.timezone });
    } catch (error) {
      // The lost attempt had not made it after all: the create, retried, makes it at the new time.
      if (error instanceof NotFoundAtProvider) return { status: 'skipped', reason: 'no calendar event yet: it is made at the new time' };
      throw error;
    }
    const event: IntegrationEvent = { type: 'CalendarEventMoved', data: { key: row.key, sessionId, eventId, startsAt: session.startsAt, endsAt: session.endsAt, at: now.toISOString() } };
    return { status: 'done', events: [event] };
  };
}

/** Spec 7.1: cancelled in our records, deleted from the calendar. */
export function deleteEventHandler(ctx: IntegrationContext): DispatchHandler {
  return async (row, now) => {
    const { therapist, sessionId } = await sessionOf(ctx, row);
    const create = await dispatchOf(ctx.db, keys.calendarCreate(sessionId));
    if (create?.status === 'in_flight') return { status: 'postponed', until: new Date(now.getTime() + 5_000), reason: 'the event is being created' };
    // An attempt whose answer was lost may have made it: deleting an event that is not there is done too.
    if (create?.status !== 'done' && !(create && create.attempts > 0)) return { status: 'skipped', reason: 'no calendar event was made' };
    const grant = await calendarGrantOf({ store: ctx.store, keys: ctx.commands.keys, calendar: ctx.calendar }, therapist.therapistId);
    if (!grant) return { status: 'skipped', reason: 'no calendar connected' };
    const eventId = calendarEventIdOf(sessionId);
    await ctx.calendar.deleteEvent(grant, eventId);
    const event: IntegrationEvent = { type: 'CalendarEventDeleted', data: { key: row.key, sessionId, eventId, at: now.toISOString() } };
    return { status: 'done', events: [event] };
  };
}

/** The Meet link of a session, once its calendar event exists. */
export async function meetLinkOf(ctx: IntegrationContext, sessionId: string): Promise<{ link: string | null; pending: boolean; since: Date | null }> {
  const create = await dispatchOf(ctx.db, keys.calendarCreate(sessionId));
  const outcome = create?.outcome as { meetLink?: string | null } | null | undefined;
  return { link: outcome?.meetLink ?? null, pending: create?.status === 'pending' || create?.status === 'in_flight', since: create?.createdAt ?? null };
}
