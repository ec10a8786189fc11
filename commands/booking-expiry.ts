import type { Knex } from 'knex';
import { therapistStream } from '../domain/therapist/streams.js';
import type { BookingInState } from '../domain/therapist/therapist-state.js';
import type { ArchiveBookingRequest, ExpireBooking, ExpireBookingHold } from '../domain/therapist/therapist-commands.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { afterBookingCommand, dueBookings, trackBookings } from './booking-directory.js';
import { metadataOf, systemCaller } from './caller.js';
import type { CommandContext } from './command-context.js';

/**
 * Schedules the deadlines a booking has in its current status (a pending request: its hold and its
 * expiry; a payment under way: its payment deadline); implemented with Agenda, or nothing in tests.
 */
export interface ExpiryScheduler {
  scheduleFor(therapistId: string, booking: BookingInState): Promise<void>;
}

export const noExpiryScheduler: ExpiryScheduler = { scheduleFor: () => Promise.resolve() };

/** How long a hold, a request and a started payment last (BOOKING_SOFT_LOCK_MINUTES, BOOKING_EXPIRATION_MINUTES, BOOKING_PAYMENT_TIMEOUT_HOURS). */
export interface BookingTimes {
  readonly holdMinutes: number;
  readonly expirationMinutes: number;
  readonly paymentTimeoutMinutes: number;
  /** A patient's token works until this many hours after their session ends. */
  readonly patientLinkHours: number;
}

export async function expireBookingHold(ctx: CommandContext, therapistId: string, bookingId: string): Promise<void> {
  await send(ctx, therapistId, { type: 'ExpireBookingHold', bookingId, now: ctx.clock.now() }, 'expire-booking-hold');
}

export async function expireBooking(ctx: CommandContext, therapistId: string, bookingId: string): Promise<void> {
  await send(ctx, therapistId, { type: 'ExpireBooking', bookingId, now: ctx.clock.now() }, 'expire-booking');
}

async function send(ctx: CommandContext, therapistId: string, command: ExpireBookingHold | ExpireBooking | ArchiveBookingRequest, job: string) {
  const result = await ctx.therapists.handle(therapistStream(therapistId), command, metadataOf(systemCaller(job)));
  await afterBookingCommand(ctx, therapistId, result);
  return result;
}

const SWEEP_BATCH = 500;

export interface SweepOutcome {
  readonly holdsReleased: number;
  readonly expired: number;
  /** Expired and cancelled requests archived 24 h after they closed (the read model drops them on the event). */
  readonly archived: number;
  readonly failed: number;
}

/**
 * Catches every deadline that passed without its job running (the service was down, a job was
 * lost) and archives requests closed 24 h ago. It finds them in app.booking_directory and decides
 * from the therapist stream, never from a read model, so a failed or rebuilding projection silences
 * nothing. The commands are the jobs' own, idempotent: a deadline both handle is recorded once.
 */
export async function sweepBookingDeadlines(ctx: CommandContext & { readonly db: Knex }): Promise<SweepOutcome> {
  const now = ctx.clock.now();
  const totals = { holdsReleased: 0, expired: 0, archived: 0, failed: 0 };
  for (const due of await dueBookings(ctx.db, now, SWEEP_BATCH)) {
    // One stream that cannot take its command (a bad event, endless contention) must not stop the rest.
    try {
      const events = await sweepOne(ctx, due.therapistId, due.bookingId, now);
      totals.holdsReleased += events.filter((e) => e.type === 'BookingHoldExpired').length;
      totals.expired += events.filter((e) => e.type === 'BookingExpired').length;
      totals.archived += events.filter((e) => e.type === 'BookingRequestArchived').length;
    } catch (error) {
      totals.failed++;
      ctx.onBackgroundError(error, `the deadline sweep could not handle booking ${due.bookingId}`);
    }
  }
  return totals;
}

/** Sends whichever of the booking's deadlines has come (the decider says no to the rest), then moves its row on. */
async function sweepOne(ctx: CommandContext, therapistId: string, bookingId: string, now: Date): Promise<readonly TherapistEvent[]> {
  const { state } = await ctx.therapists.load(therapistStream(therapistId));
  const booking = state.status === 'registered' ? state.bookings[bookingId] : undefined;
  if (!booking) {
    // The stream never got this request (refused, or the append never happened after the row was written).
    await ctx.db('app.booking_directory').where({ booking_id: bookingId }).delete();
    return [];
  }
  const commands: (ExpireBookingHold | ExpireBooking | ArchiveBookingRequest)[] =
    booking.status === 'pending_payment' || booking.status === 'payment_processing'
      ? [{ type: 'ExpireBookingHold', bookingId, now }, { type: 'ExpireBooking', bookingId, now }]
      : [{ type: 'ArchiveBookingRequest', bookingId, now }];
  const events: TherapistEvent[] = [];
  let latest = state;
  for (const command of commands) {
    const result = await send(ctx, therapistId, command, command.type === 'ArchiveBookingRequest' ? 'archive-booking-request' : 'booking-deadline-sweep');
    events.push(...result.events);
    latest = result.state;
  }
  // Nothing was due after all (an early row): set it to the stream's next deadline.
  if (events.length === 0) await trackBookings(ctx.db, therapistId, latest, [bookingId]);
  return events;
}
