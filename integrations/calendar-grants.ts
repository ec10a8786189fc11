import { z } from 'zod';
import { calendarConnectionCodec, calendarConnectionStream, evolveConnection, type CalendarConnection } from '../domain/integrations/integration-events.js';
import type { KeyStore } from '../infra/crypto/key-store.js';
import type { EventStore } from '../infra/event-store/event-store.js';
import type { CalendarGateway, CalendarGrant } from './ports.js';

/** The therapist's calendar connection, folded from its own (tiny) stream: never from a read model. */
export async function calendarConnectionOf(store: EventStore, therapistId: string): Promise<CalendarConnection> {
  let state: CalendarConnection = { status: 'none' };
  for (const recorded of await store.readStream(calendarConnectionStream(therapistId))) {
    const event = calendarConnectionCodec.decode(recorded);
    if (event) state = evolveConnection(state, event);
  }
  return state;
}

/**
 * The grant to call the calendar with: the local driver needs none (every therapist has a local
 * calendar); Google needs the therapist to have connected theirs. Undefined: nothing to sync with.
 */
export async function calendarGrantOf(deps: { store: EventStore; keys: KeyStore; calendar: CalendarGateway }, therapistId: string): Promise<CalendarGrant | undefined> {
  if (deps.calendar.driver === 'local') return { refreshToken: 'local', calendarId: therapistId };
  const connection = await calendarConnectionOf(deps.store, therapistId);
  if (connection.status !== 'connected') return undefined;
  const [refreshToken] = await deps.keys.open([connection.refreshToken], z.string());
  return refreshToken ? { refreshToken, calendarId: connection.calendarId } : undefined;
}
