import type { BookingInState } from '../../domain/therapist/therapist-state.js';
import type { ExpiryScheduler } from '../../commands/booking-expiry.js';
import type { Scheduler } from './scheduler.js';

export const BOOKING_JOBS = {
  holdExpiry: 'expire-booking-hold',
  requestExpiry: 'expire-booking',
  sweep: 'sweep-booking-deadlines',
} as const;

export interface BookingJobData extends Record<string, unknown> {
  readonly therapistId: string;
  readonly bookingId: string;
  readonly uniqueKey: string;
}

export interface BookingJobHandlers {
  expireHold(therapistId: string, bookingId: string): Promise<void>;
  expireRequest(therapistId: string, bookingId: string): Promise<void>;
  sweep(): Promise<unknown>;
}

/**
 * Each booking request gets two one-off jobs, at its hold's end and at its expiry, and a third at
 * its payment deadline once payment starts; Agenda stores them (so they survive a restart), and a
 * sweep every minute catches any deadline whose job never ran.
 * The commands they send are idempotent, so a job that runs twice, or after a payment, does nothing.
 */
export function defineBookingJobs(scheduler: Scheduler, handlers: BookingJobHandlers): ExpiryScheduler {
  scheduler.define<BookingJobData>(BOOKING_JOBS.holdExpiry, (data) => handlers.expireHold(data.therapistId, data.bookingId), { concurrency: 5 });
  scheduler.define<BookingJobData>(BOOKING_JOBS.requestExpiry, (data) => handlers.expireRequest(data.therapistId, data.bookingId), { concurrency: 5 });
  scheduler.define<Record<string, never>>(BOOKING_JOBS.sweep, async () => {
    await handlers.sweep();
  });
  scheduler.onStart(() => scheduler.agenda.every('1 minute', BOOKING_JOBS.sweep, {}).then(() => undefined));
  return {
    async scheduleFor(therapistId: string, booking: BookingInState): Promise<void> {
      const base = { therapistId, bookingId: booking.bookingId };
      if (booking.status === 'payment_processing') {
        if (booking.paymentExpiresAt === null) return;
        const key = `payment:${booking.bookingId}`;
        await scheduler.scheduleAt(BOOKING_JOBS.requestExpiry, new Date(booking.paymentExpiresAt), { ...base, uniqueKey: key }, key);
        return;
      }
      await scheduler.scheduleAt(BOOKING_JOBS.holdExpiry, new Date(booking.holdExpiresAt), { ...base, uniqueKey: `hold:${booking.bookingId}` }, `hold:${booking.bookingId}`);
      await scheduler.scheduleAt(BOOKING_JOBS.requestExpiry, new Date(booking.expiresAt), { ...base, uniqueKey: `request:${booking.bookingId}` }, `request:${booking.bookingId}`);
    },
  };
}
