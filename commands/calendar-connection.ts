import { randomUUID } from 'node:crypto';
import { calendarConnectionCodec, calendarConnectionStream, type CalendarConnectionEvent } from '../domain/integrations/integration-events.js';
import { Conflict } from '../domain/shared/domain-error.js';
import { ExpectedRevision } from '../infra/event-store/event-store.js';
import { calendarConnectionOf } from '../integrations/calendar-grants.js';
import type { IntegrationContext } from '../integrations/integration-context.js';
import { metadataOf, type Caller } from './caller.js';

async function append(ctx: IntegrationContext, therapistId: string, event: CalendarConnectionEvent, caller: Caller, revision: number) {
  const encoded = calendarConnectionCodec.encode(event);
  // Against the revision read: a connect racing a disconnect is one after the other, never interleaved.
  return ctx.store.append(calendarConnectionStream(therapistId), [{ eventId: randomUUID(), ...encoded, metadata: metadataOf(caller) }], ExpectedRevision.after(revision));
}

async function revisionOf(ctx: IntegrationContext, therapistId: string): Promise<number> {
  const events = await ctx.store.readStream(calendarConnectionStream(therapistId));
  return events.length - 1;
}

/** The OAuth callback's grant: the refresh token sealed under the therapist's own key, in the log. */
export async function connectGoogleCalendar(ctx: IntegrationContext, therapistId: string, code: string, redirectUri: string, caller: Caller) {
  const { refreshToken } = await ctx.calendar.exchangeCode(code, redirectUri);
  const sealed = await ctx.commands.keys.sealForTherapist(therapistId, 'google-calendar', refreshToken);
  const revision = await revisionOf(ctx, therapistId);
  return append(ctx, therapistId, { type: 'GoogleCalendarConnected', data: { calendarId: 'primary', refreshToken: sealed, connectedAt: ctx.commands.clock.now().toISOString() } }, caller, revision);
}

export async function disconnectGoogleCalendar(ctx: IntegrationContext, therapistId: string, caller: Caller) {
  const connection = await calendarConnectionOf(ctx.store, therapistId);
  if (connection.status !== 'connected') throw new Conflict('calendar_not_connected', 'No Google calendar is connected');
  const revision = await revisionOf(ctx, therapistId);
  return append(ctx, therapistId, { type: 'GoogleCalendarDisconnected', data: { reason: 'therapist', disconnectedAt: ctx.commands.clock.now().toISOString() } }, caller, revision);
}
