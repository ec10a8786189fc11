import { randomUUID } from 'node:crypto';
import { DomainError, Forbidden, NotFound } from '../domain/shared/domain-error.js';
import { PATIENT_TOKEN_MISMATCH, requirePatientLink } from '../domain/therapist/booking-guards.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { BookingInState } from '../domain/therapist/therapist-state.js';
import type { BusyInterval } from '../domain/availability/availability-types.js';
import { comparePositions, type LogPosition } from '../infra/event-store/event-store.js';
import { afterBookingCommand, enterBooking } from './booking-directory.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';
import { recordPatientOfBooking, releaseReservation, resolvePatient } from './patients.js';

export interface BookingRequestInput {
  readonly therapistId: string;
  readonly patient: { readonly name: string; readonly email: string; readonly phone: string };
  readonly isNewPatient: boolean;
  readonly reasonForConsultation: string | null;
  readonly paymentMethod: 'mercadopago' | 'bank_transfer';
  readonly requestedDate: string;
  readonly requestedTime: string;
}

export interface BookingRequestAnswer {
  readonly id: string;
  readonly status: 'pending_payment';
  readonly requestedDate: string;
  readonly requestedTime: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly holdExpiresAt: string;
  readonly expiresAt: string;
  readonly priceAtBooking: number;
  readonly currency: 'ARS';
  readonly paymentMethod: 'mercadopago' | 'bank_transfer';
  readonly patientToken: string;
  /** Mercado Pago checkout link; null until the payments integration creates preferences. */
  readonly paymentLink: string | null;
}

const DAY_MS = 86_400_000;

/**
 * The therapist's own calendar around the requested day (and the week of alternatives after it),
 * from the calendar integration; nothing when none is connected or Google cannot say in time.
 */
async function calendarBusyAround(ctx: CommandContext, therapistId: string, requestedDate: string): Promise<readonly BusyInterval[]> {
  if (!ctx.calendarBusy || !/^\d{4}-\d{2}-\d{2}$/.test(requestedDate)) return [];
  const { state } = await ctx.therapists.load(therapistStream(therapistId));
  if (state.status !== 'registered') return [];
  const day = Date.parse(`${requestedDate}T00:00:00Z`);
  if (Number.isNaN(day)) return [];
  const answer = await ctx.calendarBusy(therapistId, state.policies.timezone, { from: new Date(day - DAY_MS), to: new Date(day + 9 * DAY_MS) });
  return answer?.busy ?? [];
}

/** Takes the slot for the patient (a hold) if it is still available; see decideRequestBooking. */
export async function requestBooking(
  ctx: CommandContext,
  input: BookingRequestInput,
  caller: Caller,
  /** Random; under an Idempotency-Key, the one stored with the key's claim, so a retry finds its booking. */
  bookingId: string = randomUUID(),
): Promise<{ answer: BookingRequestAnswer; position: LogPosition | undefined }> {
  const patientToken = ctx.patientTokens.tokenFor(bookingId);
  const calendarBusy = await calendarBusyAround(ctx, input.therapistId, input.requestedDate);
  const contact = await ctx.keys.sealBookingContact(input.therapistId, bookingId, { ...input.patient, reasonForConsultation: input.reasonForConsultation });
  const now = ctx.clock.now();
  // Before the append, due when its first deadline would be: a crash in between still leaves the sweep a row to find.
  const entered = { bookingId, deadline: new Date(now.getTime() + Math.min(ctx.bookingTimes.holdMinutes, ctx.bookingTimes.expirationMinutes) * 60_000) };
  await enterBooking(ctx.db, input.therapistId, bookingId, entered.deadline);
  const result = await ctx.therapists.handle(
    therapistStream(input.therapistId),
    {
      type: 'RequestBooking',
      bookingId,
      contact,
      isNewPatient: input.isNewPatient,
      paymentMethod: input.paymentMethod,
      requestedDate: input.requestedDate,
      requestedTime: input.requestedTime,
      holdMinutes: ctx.bookingTimes.holdMinutes,
      expirationMinutes: ctx.bookingTimes.expirationMinutes,
      patientTokenHash: ctx.patientTokens.hashOf(patientToken),
      calendarBusy,
      now,
    },
    { ...metadataOf(caller), actor: { kind: 'patient', bookingId } },
  ).catch(async (error: unknown) => {
    // Refused, and not in the stream (a concurrent run of the same keyed request may have booked it):
    // the contact's key seals nothing, and its blind indexes should not outlive the refusal.
    if (error instanceof DomainError) {
      const { state } = await ctx.therapists.load(therapistStream(input.therapistId));
      if (state.status !== 'registered' || !state.bookings[bookingId]) await ctx.keys.discardBookingKey(bookingId);
    }
    throw error;
  });
  await afterBookingCommand(ctx, input.therapistId, result, entered);
  const booking = requireRegistered(result.state).bookings[bookingId];
  if (!booking) throw new Error('The booking request was decided but is not in the stream state');
  // The booking exists now; a deadline job that could not be stored is caught by the minute sweep.
  await ctx.expiry.scheduleFor(input.therapistId, booking).catch((error: unknown) => ctx.onBackgroundError(error, 'could not schedule the booking deadlines'));
  return { answer: answerOf(booking, input.paymentMethod, patientToken), position: result.position };
}

function answerOf(booking: BookingInState, paymentMethod: BookingRequestAnswer['paymentMethod'], patientToken: string): BookingRequestAnswer {
  return {
    id: booking.bookingId,
    status: 'pending_payment',
    requestedDate: booking.requestedDate,
    requestedTime: booking.requestedTime,
    startsAt: booking.startsAt,
    endsAt: booking.endsAt,
    holdExpiresAt: booking.holdExpiresAt,
    expiresAt: booking.expiresAt,
    priceAtBooking: booking.priceAtBooking,
    currency: 'ARS',
    paymentMethod,
    patientToken,
    paymentLink: null,
  };
}

/**
 * Payment under way (a bank transfer the therapist saw arrive; later, the Mercado Pago webhook).
 * A payment for a request that is over is recorded as late (`latePayment`), never dropped.
 */
export async function startPayment(ctx: CommandContext, therapistId: string, bookingId: string, payment: { method: 'mercadopago' | 'bank_transfer'; reference: string | null }, caller: Caller) {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'StartPayment', bookingId, ...payment, paymentTimeoutMinutes: ctx.bookingTimes.paymentTimeoutMinutes, now: ctx.clock.now() }, metadataOf(caller));
  await afterBookingCommand(ctx, therapistId, result);
  const booking = bookingIn(result.state, bookingId);
  if (result.events.some((e) => e.type === 'PaymentStarted')) {
    // The payment exists now; a deadline job that could not be stored is caught by the minute sweep.
    await ctx.expiry.scheduleFor(therapistId, booking).catch((error: unknown) => ctx.onBackgroundError(error, 'could not schedule the payment deadline'));
  }
  return { booking, latePayment: result.events.some((e) => e.type === 'LatePaymentReceived'), position: result.position };
}

/**
 * Confirms a booking: the patient is found by phone, then e-mail, or registered; then the session is
 * scheduled on the therapist stream under the same concurrency guard as the request.
 */
export async function confirmBooking(ctx: CommandContext, therapistId: string, bookingId: string, caller: Caller) {
  const stream = therapistStream(therapistId);
  const calendar = requireRegistered((await ctx.therapists.load(stream)).state);
  const current = calendar.bookings[bookingId];
  if (!current) throw new NotFound('booking', bookingId);
  // A retried confirmation also completes a patient record that a crash cut short after the booking
  // was confirmed (registering is a no-op when it is there); the decider then refuses the retry.
  const session = current.sessionId ? calendar.sessions[current.sessionId] : undefined;
  if (current.status === 'confirmed' && session) await recordPatientOfBooking(ctx, therapistId, current, { patientId: session.patientId, matchedBy: null, reserved: false }, caller);
  // Only an open request is resolved to a patient; anything else is refused by the decider below.
  const resolution = current.status === 'pending_payment' || current.status === 'payment_processing' ? await resolvePatient(ctx, therapistId, current) : undefined;
  const result = await ctx.therapists
    .handle(stream, { type: 'ConfirmBooking', bookingId, sessionId: randomUUID(), patientId: resolution?.patientId ?? randomUUID(), now: ctx.clock.now() }, metadataOf(caller))
    .catch(async (error: unknown) => {
      if (resolution) await releaseReservation(ctx, therapistId, resolution);
      throw error;
    });
  await afterBookingCommand(ctx, therapistId, result);
  // The patient record exists only once the booking is confirmed; the answer waits for it too.
  const patientPosition = resolution && result.events.some((e) => e.type === 'BookingConfirmed') ? await recordPatientOfBooking(ctx, therapistId, current, resolution, caller) : undefined;
  return { booking: bookingIn(result.state, bookingId), position: later(result.position, patientPosition) };
}

export async function cancelBooking(
  ctx: CommandContext,
  therapistId: string,
  bookingId: string,
  by: { kind: 'therapist' } | { kind: 'patient'; token: string },
  reason: string | null,
  caller: Caller,
) {
  // A token not made here for this booking is refused before its calendar is read.
  if (by.kind === 'patient' && ctx.patientTokens.check(bookingId, by.token) === 'invalid') throw new Forbidden(PATIENT_TOKEN_MISMATCH);
  const result = await ctx.therapists.handle(
    therapistStream(therapistId),
    {
      type: 'CancelBooking',
      bookingId,
      by: by.kind,
      patientTokenHash: by.kind === 'patient' ? ctx.patientTokens.hashOf(by.token) : null,
      patientLinkHours: ctx.bookingTimes.patientLinkHours,
      // Free text about the patient: sealed under the request's key, forgotten with it.
      reason: reason === null ? null : await ctx.keys.sealForBooking(therapistId, bookingId, { text: reason }),
      now: ctx.clock.now(),
    },
    metadataOf(caller),
  );
  await afterBookingCommand(ctx, therapistId, result);
  return { booking: bookingIn(result.state, bookingId), position: result.position };
}

export async function recordSessionOutcome(ctx: CommandContext, therapistId: string, sessionId: string, outcome: 'completed' | 'no_show' | 'cancelled', reason: string | null, caller: Caller) {
  const stream = therapistStream(therapistId);
  const known = requireRegistered((await ctx.therapists.load(stream)).state).sessions[sessionId];
  // Free text about the patient: sealed under the patient's key (an unknown session is refused below).
  const sealed = reason === null || !known ? null : await ctx.keys.sealForPatient(therapistId, known.patientId, { text: reason });
  const result = await ctx.therapists.handle(stream, { type: 'RecordSessionOutcome', sessionId, outcome, reason: sealed, now: ctx.clock.now() }, metadataOf(caller));
  const session = requireRegistered(result.state).sessions[sessionId];
  return { session, position: result.position };
}

/**
 * Whether `token` opens the booking for its patient now: made here for it, the booking's current
 * token, in time (the rule the decider applies to a patient's cancellation).
 */
export async function authorizePatient(ctx: CommandContext, therapistId: string, bookingId: string, token: string): Promise<void> {
  if (ctx.patientTokens.check(bookingId, token) === 'invalid') throw new Forbidden(PATIENT_TOKEN_MISMATCH);
  const booking = requireRegistered((await ctx.therapists.load(therapistStream(therapistId))).state).bookings[bookingId];
  // Closed long enough ago for the calendar to forget it: nothing is left to show.
  if (!booking) throw new NotFound('booking', bookingId);
  requirePatientLink(booking, ctx.patientTokens.hashOf(token), ctx.clock.now(), ctx.bookingTimes.patientLinkHours);
}

/** The therapist voids the patient's link to a booking (a link forwarded to the wrong person, say). */
export async function revokePatientToken(ctx: CommandContext, therapistId: string, bookingId: string, caller: Caller) {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'RevokePatientToken', bookingId, now: ctx.clock.now() }, metadataOf(caller));
  return { booking: bookingIn(result.state, bookingId), position: result.position };
}

/** A new link for the patient; every earlier one stops working. The token is shown to the therapist once. */
export async function reissuePatientToken(ctx: CommandContext, therapistId: string, bookingId: string, caller: Caller) {
  const token = ctx.patientTokens.reissue(bookingId);
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'ReissuePatientToken', bookingId, patientTokenHash: ctx.patientTokens.hashOf(token), now: ctx.clock.now() }, metadataOf(caller));
  return { booking: bookingIn(result.state, bookingId), token, position: result.position };
}

function bookingIn(state: Parameters<typeof requireRegistered>[0], bookingId: string): BookingInState {
  const booking = requireRegistered(state).bookings[bookingId];
  if (!booking) throw new NotFound('booking', bookingId);
  return booking;
}

function later(a: LogPosition | undefined, b: LogPosition | undefined): LogPosition | undefined {
  if (!a || !b) return a ?? b;
  return comparePositions(a, b) >= 0 ? a : b;
}
