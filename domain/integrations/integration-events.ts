import { z } from 'zod';
import { EventCodec } from '../shared/event-codec.js';
import { defineEvent } from '../shared/event-codec.js';
import type { EventOf } from '../shared/event-of.js';
import { sealed } from '../shared/personal-data.js';
import { id, instant } from '../therapist/events/event-fields.js';

/**
 * What the integrations did, recorded after each call to the outside world (`integrations-{therapistId}`):
 * the outcome of every external call is in the log, with the key it was made under, so an auditor sees
 * each payment link, calendar event and message, and a rebuild shows them again. Nothing here decides
 * the calendar (that stays on the therapist stream); these are facts about the world outside.
 */
const driver = z.enum(['real', 'local']);
const integration = z.enum(['mercadopago', 'google', 'whatsapp', 'email']);
const reference = z.object({ kind: z.enum(['booking', 'session']), id });

export const paymentLinkCreated = defineEvent(
  'PaymentLinkCreated',
  z.object({ key: z.string().min(1), reference, preferenceId: z.string().min(1), checkoutUrl: z.url(), expiresAt: instant, driver, at: instant }),
);
export type PaymentLinkCreated = EventOf<typeof paymentLinkCreated>;

/** A Mercado Pago payment as fetched after its notification; approved ones drive the booking or session on its own stream. */
export const mercadoPagoPaymentRecorded = defineEvent(
  'MercadoPagoPaymentRecorded',
  z.object({ paymentId: z.string().min(1), reference: reference.nullable(), status: z.string().min(1), amount: z.number(), currency: z.string(), driver, at: instant }),
);
export type MercadoPagoPaymentRecorded = EventOf<typeof mercadoPagoPaymentRecorded>;

export const calendarEventCreated = defineEvent(
  'CalendarEventCreated',
  z.object({ key: z.string().min(1), sessionId: id, eventId: z.string().min(1), meetLink: z.url().nullable(), driver, at: instant }),
);
export type CalendarEventCreated = EventOf<typeof calendarEventCreated>;

export const calendarEventMoved = defineEvent('CalendarEventMoved', z.object({ key: z.string().min(1), sessionId: id, eventId: z.string().min(1), startsAt: instant, endsAt: instant, at: instant }));
export type CalendarEventMoved = EventOf<typeof calendarEventMoved>;

export const calendarEventDeleted = defineEvent('CalendarEventDeleted', z.object({ key: z.string().min(1), sessionId: id, eventId: z.string().min(1), at: instant }));
export type CalendarEventDeleted = EventOf<typeof calendarEventDeleted>;

export const messagePurpose = z.enum(['booking_confirmed', 'payment_reminder', 'meet_link']);

export const messageSent = defineEvent(
  'MessageSent',
  z.object({
    key: z.string().min(1),
    channel: z.enum(['whatsapp', 'email']),
    purpose: messagePurpose,
    sessionId: id.nullable(),
    bookingId: id.nullable(),
    /** Twilio's message sid, or the mail's Message-ID. */
    providerId: z.string().min(1),
    status: z.string(),
    /** Found at the provider after a crash between the send and its record, not sent again. */
    recovered: z.boolean(),
    driver,
    at: instant,
  }),
);
export type MessageSent = EventOf<typeof messageSent>;

export const messageDeliveryUpdated = defineEvent(
  'MessageDeliveryUpdated',
  z.object({ key: z.string().min(1), providerId: z.string().min(1), status: z.string().min(1), errorCode: z.string().nullable(), at: instant }),
);
export type MessageDeliveryUpdated = EventOf<typeof messageDeliveryUpdated>;

/** A call that will not be retried (a permanent answer, or one not worth making any more): shown to the therapist and ops. */
export const integrationCallFailed = defineEvent(
  'IntegrationCallFailed',
  z.object({
    key: z.string().min(1),
    integration,
    kind: z.string().min(1),
    reference: reference.nullable(),
    /** No personal data: the provider's status and code, or why it was not made. */
    reason: z.string().min(1),
    status: z.number().int().nullable(),
    attempts: z.number().int().min(0),
    at: instant,
  }),
);
export type IntegrationCallFailed = EventOf<typeof integrationCallFailed>;

/** `calendar-{therapistId}`: the therapist's Google grant; the refresh token sealed under their own key. */
export const googleCalendarConnected = defineEvent('GoogleCalendarConnected', z.object({ calendarId: z.string().min(1), refreshToken: sealed, connectedAt: instant }));
export type GoogleCalendarConnected = EventOf<typeof googleCalendarConnected>;

export const googleCalendarDisconnected = defineEvent(
  'GoogleCalendarDisconnected',
  z.object({ reason: z.enum(['therapist', 'grant_revoked']), disconnectedAt: instant }),
);
export type GoogleCalendarDisconnected = EventOf<typeof googleCalendarDisconnected>;

export type IntegrationEvent =
  | PaymentLinkCreated
  | MercadoPagoPaymentRecorded
  | CalendarEventCreated
  | CalendarEventMoved
  | CalendarEventDeleted
  | MessageSent
  | MessageDeliveryUpdated
  | IntegrationCallFailed;

export type CalendarConnectionEvent = GoogleCalendarConnected | GoogleCalendarDisconnected;

export const integrationEventCodec = new EventCodec<IntegrationEvent>([
  paymentLinkCreated,
  mercadoPagoPaymentRecorded,
  calendarEventCreated,
  calendarEventMoved,
  calendarEventDeleted,
  messageSent,
  messageDeliveryUpdated,
  integrationCallFailed,
]);

export const calendarConnectionCodec = new EventCodec<CalendarConnectionEvent>([googleCalendarConnected, googleCalendarDisconnected]);

export function integrationsStream(therapistId: string): string {
  return `integrations-${therapistId}`;
}

export function calendarConnectionStream(therapistId: string): string {
  return `calendar-${therapistId}`;
}

/** The therapist's calendar connection as its stream tells it (folded where it is needed; tiny). */
export type CalendarConnection = { readonly status: 'none' } | { readonly status: 'connected'; readonly calendarId: string; readonly refreshToken: z.infer<typeof sealed>; readonly connectedAt: string } | { readonly status: 'disconnected'; readonly reason: 'therapist' | 'grant_revoked'; readonly at: string };

export function evolveConnection(_state: CalendarConnection, event: CalendarConnectionEvent): CalendarConnection {
  switch (event.type) {
    case 'GoogleCalendarConnected':
      return { status: 'connected', calendarId: event.data.calendarId, refreshToken: event.data.refreshToken, connectedAt: event.data.connectedAt };
    case 'GoogleCalendarDisconnected':
      return { status: 'disconnected', reason: event.data.reason, at: event.data.disconnectedAt };
  }
}
