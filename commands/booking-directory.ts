import type { Knex } from 'knex';
import { NotFound } from '../domain/shared/domain-error.js';
import { nextDeadlineOf } from '../domain/therapist/decide-expiry.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import type { TherapistState } from '../domain/therapist/therapist-state.js';
import type { PublicBookingStatus } from '../queries/bookings.js';
import type { CommandContext } from './command-context.js';

/*
 * app.booking_directory (migration 0013): which calendar holds a booking and when the deadline sweep
 * must look at it next. The commands keep it, not a projection, so a failed or rebuilding read model
 * neither silences an expiry nor hides a booking from its patient. Its one invariant: a row's
 * deadline is never later than the booking's true next deadline (null only when none is left). Every
 * write keeps it: the row exists before the append, and each later write only moves it to what the
 * stream says after a command; a write that fails leaves an earlier deadline, which costs the sweep
 * one look at the stream, never a missed expiry.
 */

const TABLE = 'app.booking_directory';

/**
 * Before a request's append: a crash between the two must still leave the sweep something to find.
 * A row whose booking the stream never got (refused, or the append never happened) is looked at once
 * and then left with no deadline; lookups of it find no booking in the stream and answer 404.
 */
export async function enterBooking(db: Knex, therapistId: string, bookingId: string, lookAt: Date): Promise<void> {
  await db.raw(
    `INSERT INTO ${TABLE} (booking_id, therapist_id, next_deadline_at) VALUES (?, ?, ?)
     ON CONFLICT (booking_id) DO UPDATE SET next_deadline_at = LEAST(${TABLE}.next_deadline_at, excluded.next_deadline_at)`,
    [bookingId, therapistId, lookAt],
  );
}

/** A row this command wrote before its append (enterBooking), with the deadline it wrote. */
export interface EnteredBooking {
  readonly bookingId: string;
  readonly deadline: Date;
}

/**
 * Sets the row of each booking to what the stream now says (its next deadline, or none), except the
 * one entered before the append when the stream says just that: a new request's first deadline is
 * the one it was entered with, and writing it again is a round trip on every booking.
 */
export async function trackBookings(db: Knex, therapistId: string, state: TherapistState, bookingIds: readonly string[], entered?: EnteredBooking): Promise<void> {
  if (bookingIds.length === 0 || state.status !== 'registered') return;
  const rows = [...new Set(bookingIds)]
    .map((bookingId) => {
      const booking = state.bookings[bookingId];
      return { booking_id: bookingId, therapist_id: therapistId, next_deadline_at: booking ? nextDeadlineOf(booking) : null };
    })
    .filter((row) => !(entered && row.booking_id === entered.bookingId && row.next_deadline_at === entered.deadline.toISOString()));
  if (rows.length === 0) return;
  await db(TABLE).insert(rows).onConflict('booking_id').merge(['next_deadline_at']);
}

/** The bookings a command's events are about. */
export function bookingsIn(events: readonly TherapistEvent[]): string[] {
  return events.flatMap((event) => ('bookingId' in event.data && typeof event.data.bookingId === 'string' ? [event.data.bookingId] : []));
}

/**
 * After a booking command: the directory follows the stream. The append stands whatever happens
 * here (the row keeps an earlier deadline: see above), so a failure is logged, never thrown.
 */
export async function afterBookingCommand(ctx: CommandContext, therapistId: string, result: { readonly state: TherapistState; readonly events: readonly TherapistEvent[] }, entered?: EnteredBooking): Promise<void> {
  await trackBookings(ctx.db, therapistId, result.state, bookingsIn(result.events), entered).catch((error: unknown) => ctx.onBackgroundError(error, 'could not record the booking in the directory'));
}

/** The therapist whose calendar holds the booking (undefined: no booking was ever requested with this id). */
export async function therapistOfBooking(db: Knex, bookingId: string): Promise<string | undefined> {
  const row = (await db(TABLE).select('therapist_id').where({ booking_id: bookingId }).first()) as { therapist_id: string } | undefined;
  return row?.therapist_id;
}

export interface DueBooking {
  readonly bookingId: string;
  readonly therapistId: string;
}

/** The bookings whose next deadline has come, oldest first. */
export async function dueBookings(db: Knex, now: Date, limit: number): Promise<DueBooking[]> {
  const rows = (await db(TABLE).select('booking_id', 'therapist_id').where('next_deadline_at', '<=', now).orderBy('next_deadline_at').limit(limit)) as { booking_id: string; therapist_id: string }[];
  return rows.map((r) => ({ bookingId: r.booking_id, therapistId: r.therapist_id }));
}

/**
 * The patient's view of their booking: the read model's row when it agrees with the calendar (it
 * carries the payment and Meet links), else what the calendar itself says, so a read model that is
 * behind, failed or being rebuilt never answers 404 or a stale status for a booking that exists.
 */
export async function patientBookingStatus(ctx: CommandContext, therapistId: string, bookingId: string, fromReadModel: () => Promise<PublicBookingStatus>): Promise<PublicBookingStatus> {
  const therapist = requireRegistered((await ctx.therapists.load(therapistStream(therapistId))).state);
  const booking = therapist.bookings[bookingId];
  if (!booking) throw new NotFound('booking', bookingId);
  const projected = await fromReadModel().catch((error: unknown) => {
    if (error instanceof NotFound) return undefined;
    throw error;
  });
  if (projected?.status === booking.status) return projected;
  return {
    id: bookingId,
    status: booking.status,
    therapist: { id: therapistId, name: therapist.name, slug: therapist.slug },
    requestedDate: booking.requestedDate,
    requestedTime: booking.requestedTime,
    startsAt: booking.startsAt,
    endsAt: booking.endsAt,
    durationMinutes: booking.durationMinutes,
    priceAtBooking: booking.priceAtBooking,
    currency: 'ARS',
    paymentMethod: booking.paymentMethod,
    holdExpiresAt: booking.holdExpiresAt,
    expiresAt: booking.expiresAt,
    sessionId: booking.sessionId,
    paymentLink: projected?.paymentLink ?? null,
    meetLink: projected?.meetLink ?? null,
  };
}
