/**
 * What the integration reactors need from the outside world. Each port has two implementations:
 * a real one (the vendor's SDK, pointed at its API or, in tests, at a local server speaking its wire
 * format) and a local driver that behaves like the service without credentials.
 *
 * Every call takes an idempotency key or a deterministic id: a retry after a crash can never act twice.
 * Failures are thrown as the classes in ./integration-errors.ts, so the dispatcher knows whether to retry.
 */

/** A Mercado Pago checkout preference (Checkout Pro). */
export interface PreferenceRequest {
  /** The booking id (or session id for a recurring session): Mercado Pago's `external_reference`. */
  readonly externalReference: string;
  readonly title: string;
  /** ARS, whole pesos. */
  readonly price: number;
  readonly currency: 'ARS';
  /** The preference stops accepting payments then (`expiration_date_to`). */
  readonly expiresAt: Date;
  /** Where Mercado Pago sends payment notifications (our webhook). */
  readonly notificationUrl: string;
  /** Where the payer returns after paying. */
  readonly backUrl: string;
  /** Sent as `X-Idempotency-Key`: the same key answers the same preference. */
  readonly idempotencyKey: string;
}

export interface CreatedPreference {
  readonly preferenceId: string;
  /** `init_point`: the page the patient pays on. */
  readonly checkoutUrl: string;
}

export type MercadoPagoPaymentStatus = 'pending' | 'approved' | 'authorized' | 'in_process' | 'in_mediation' | 'rejected' | 'cancelled' | 'refunded' | 'charged_back';

export interface MercadoPagoPayment {
  readonly paymentId: string;
  readonly status: MercadoPagoPaymentStatus;
  /** Our booking (or session) id; null when the payment is not one of ours. */
  readonly externalReference: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly dateApproved: string | null;
}

export interface PaymentGateway {
  readonly driver: 'mercadopago' | 'local';
  createPreference(request: PreferenceRequest): Promise<CreatedPreference>;
  /** GET /v1/payments/{id}; NotFoundAtProvider when Mercado Pago does not know it. */
  getPayment(paymentId: string): Promise<MercadoPagoPayment>;
}

/** A therapist's Google grant: the refresh token (stored sealed) and the calendar it writes to. */
export interface CalendarGrant {
  readonly refreshToken: string;
  readonly calendarId: string;
}

export interface CalendarEventRequest {
  /** Derived from the session id (base32hex, 5–1024 chars): a retried insert answers 409, never a second event. */
  readonly eventId: string;
  readonly summary: string;
  readonly description: string;
  /** Instants; sent as dateTime with the therapist's zone in `timeZone`. */
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly timeZone: string;
  /** Requests a Google Meet conference (`conferenceData.createRequest`, `conferenceDataVersion=1`). */
  readonly requestMeet: boolean;
}

export interface CalendarEventOutcome {
  readonly eventId: string;
  /** `hangoutLink` / the conference's video entry point; null when Google has not made one (yet). */
  readonly meetLink: string | null;
  readonly htmlLink: string | null;
}

/** Busy time from the therapist's calendar for a range. */
export interface CalendarBusy {
  /** Timed, opaque (not `transparent`), not cancelled events, recurring ones expanded. */
  readonly intervals: readonly { readonly startsAt: string; readonly endsAt: string }[];
  /** All-day events: the local dates (YYYY-MM-DD, in the therapist's zone) they block whole. */
  readonly allDayDates: readonly string[];
}

export interface CalendarGateway {
  readonly driver: 'google' | 'local';
  /** The OAuth2 consent page (offline access, calendar scope); `state` comes back to the callback. */
  consentUrl(state: string, redirectUri: string): string;
  /** Exchanges the callback's code for tokens; the refresh token is what is kept. */
  exchangeCode(code: string, redirectUri: string): Promise<{ readonly refreshToken: string }>;
  /** Insert; on 409 (the id exists, e.g. a retry after a crash) it reads the existing event instead. */
  createEvent(grant: CalendarGrant, event: CalendarEventRequest): Promise<CalendarEventOutcome>;
  patchEvent(grant: CalendarGrant, eventId: string, change: { readonly startsAt: Date; readonly endsAt: Date; readonly timeZone: string }): Promise<CalendarEventOutcome>;
  /** 404 and 410 (already gone) count as done. */
  deleteEvent(grant: CalendarGrant, eventId: string): Promise<void>;
  /** events.list with singleEvents=true over [from, to); `timeZone` places all-day events. Ignores events we created (ids given). */
  busy(grant: CalendarGrant, range: { readonly from: Date; readonly to: Date; readonly timeZone: string }, ownEventIds: ReadonlySet<string>): Promise<CalendarBusy>;
}

export interface WhatsAppMessage {
  /** E.164, e.g. +5491155550000 (sent as `whatsapp:+…`). */
  readonly to: string;
  readonly body: string;
  /** Twilio posts delivery status here (our callback URL). */
  readonly statusCallback: string | null;
  /** Ours; the driver must be able to find the message again by it after a crash (see findSent). */
  readonly idempotencyKey: string;
}

export interface SentMessage {
  readonly sid: string;
  readonly status: string;
}

export interface MessageGateway {
  readonly driver: 'twilio' | 'local';
  send(message: WhatsAppMessage): Promise<SentMessage>;
  /**
   * A message already sent for this key, if any: asked after a crash between a send and its record,
   * before sending again (Twilio has no idempotency key; the driver finds it by recipient, time and body).
   */
  findSent(message: WhatsAppMessage, sentAfter: Date): Promise<SentMessage | null>;
}

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** An .ics attachment ("add to calendar"). */
  readonly calendar?: { readonly filename: string; readonly content: string };
  /** Deterministic `Message-ID` (<key@domain>): a resent mail is recognisably the same one. */
  readonly idempotencyKey: string;
}

export interface MailGateway {
  readonly driver: 'smtp' | 'local';
  send(message: MailMessage): Promise<{ readonly messageId: string }>;
}
