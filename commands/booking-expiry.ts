import type { Knex } from 'knex';
import { therapistStream } from '../domain/therapist/streams.js';
import type { BookingInState } from '../domain/therapist/therapist-state.js';
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
  await ctx.therapists.handle(therapistStream(therapistId), { type: 'ExpireBookingHold', bookingId, now: ctx.clock.now() }, metadataOf(systemCaller('expire-booking-hold')));
}

export async function expireBooking(ctx: CommandContext, therapistId: string, bookingId: string): Promise<void> {
  await ctx.therapists.handle(therapistStream(therapistId), { type: 'ExpireBooking', bookingId, now: ctx.clock.now() }, metadataOf(systemCaller('expire-booking')));
}

interface DueRow {
  readonly id: string;
  readonly therapist_id: string;
}

/** Retention of closed requests in the working read model (BR-BK-006); the events stay forever. */
const PURGE_AFTER_MS = 24 * 3_600_000;
const SWEEP_BATCH = 500;

/**
 * Catches every deadline that passed without its job running (the service was down, a job was
 * lost): sends the same idempotent expiry commands, then purges closed requests older than 24 h.
 */
export async function sweepBookingDeadlines(ctx: CommandContext & { readonly db: Knex }): Promise<{ holdsReleased: number; expired: number; purged: number; failed: number }> {
  const now = ctx.clock.now();
  let failed = 0;
  // One stream that cannot take its command (a bad event, endless contention) must not stop the rest.
  const each = async (rows: readonly DueRow[], send: (row: DueRow) => Promise<void>): Promise<number> => {
    let done = 0;
    for (const row of rows) {
      try {
        await send(row);
        done++;
      } catch (error) {
        failed++;
        ctx.onBackgroundError(error, `the deadline sweep could not handle booking ${row.id}`);
      }
    }
    return done;
  };
  const dueHolds = (await ctx.db('read.booking_requests')
    .select('id', 'therapist_id')
    .where({ status: 'pending_payment', hold_released: false })
    .where('hold_expires_at', '<=', now)
    .limit(SWEEP_BATCH)) as DueRow[];
  const holdsReleased = await each(dueHolds, (row) => expireBookingHold(ctx, row.therapist_id, row.id));
  const dueRequests = (await ctx.db('read.booking_requests')
    .select('id', 'therapist_id')
    .where({ status: 'pending_payment' })
    .where('expires_at', '<=', now)
    .limit(SWEEP_BATCH)) as DueRow[];
  const duePayments = (await ctx.db('read.booking_requests')
    .select('id', 'therapist_id')
    .where({ status: 'payment_processing' })
    // Payments recorded before deadlines existed have none: they run until the session starts (as in the domain).
    .whereRaw('COALESCE(payment_expires_at, starts_at) <= ?', [now])
    .limit(SWEEP_BATCH)) as DueRow[];
  const expired = await each([...dueRequests, ...duePayments], (row) => expireBooking(ctx, row.therapist_id, row.id));
  const purged = await ctx.db('read.booking_requests')
    .whereIn('status', ['expired', 'cancelled'])
    .where('closed_at', '<', new Date(now.getTime() - PURGE_AFTER_MS))
    .delete();
  return { holdsReleased, expired, purged, failed };
}
