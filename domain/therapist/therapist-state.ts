import type { AvailabilityException, AvailabilityRule, BookingPolicies } from '../availability/availability-types.js';
import type { RecurrenceSchedule } from '../recurrence/recurrence-schedule.js';
import type { SealedContact } from '../shared/personal-data.js';

/**
 * What the therapist decider needs to enforce its invariants, and nothing more. Past sessions and
 * closed bookings are dropped once they are old enough never to matter again (see evolve), so the
 * state stays small however long the stream grows.
 */
export type TherapistState = UnregisteredTherapist | RegisteredTherapist;

export interface UnregisteredTherapist {
  readonly status: 'unregistered';
}

export interface RegisteredTherapist {
  readonly status: 'registered';
  readonly therapistId: string;
  readonly name: string;
  readonly slug: string;
  readonly sessionPrice: number;
  readonly policies: BookingPolicies;
  readonly rules: readonly AvailabilityRule[];
  readonly exceptions: Readonly<Record<string, AvailabilityException>>;
  readonly bookings: Readonly<Record<string, BookingInState>>;
  readonly sessions: Readonly<Record<string, SessionInState>>;
  readonly recurrences: Readonly<Record<string, RecurrenceInState>>;
  /** The latest instant any event has carried (epoch ms): the stream's own sense of "now", used for pruning. */
  readonly latestMs: number;
}

export type BookingStatus = 'pending_payment' | 'payment_processing' | 'confirmed' | 'cancelled' | 'expired';

export interface BookingInState {
  readonly bookingId: string;
  readonly status: BookingStatus;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly requestedDate: string;
  readonly requestedTime: string;
  readonly durationMinutes: number;
  readonly priceAtBooking: number;
  readonly holdExpiresAt: string;
  readonly expiresAt: string;
  /** Set once BookingHoldExpired was recorded: the slot is no longer held, the request may still be paid. */
  readonly holdReleased: boolean;
  /** While payment is under way: when it must have completed, or the request expires (null before). */
  readonly paymentExpiresAt: string | null;
  /** Sealed (ciphertext and key id only): what registers the patient on confirmation. */
  readonly contact: SealedContact;
  /** null once the therapist revoked the patient's link (until a new one is issued). */
  readonly patientTokenHash: string | null;
  readonly sessionId: string | null;
  /** How the patient pays (the patient's own status page shows it, also while the read model is behind). */
  readonly paymentMethod: 'mercadopago' | 'bank_transfer';
  /** When it was confirmed, cancelled or expired (null while open). */
  readonly closedAt: string | null;
  /** Set once an expired or cancelled request was archived (BookingRequestArchived): out of the working pipeline. */
  readonly archived: boolean;
}

export type SessionStatus = 'scheduled' | 'completed' | 'no_show' | 'cancelled';

export interface SessionInState {
  readonly sessionId: string;
  readonly patientId: string;
  readonly bookingId: string | null;
  readonly recurrenceId: string | null;
  readonly occurrenceDate: string | null;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly durationMinutes: number;
  readonly price: number;
  readonly paymentStatus: 'paid' | 'pending';
  /** BR-RS-007: when its payment reminder was recorded as due (null: not yet). */
  readonly reminderDueAt: string | null;
  readonly status: SessionStatus;
}

export type RecurrenceStatus = 'active' | 'paused' | 'stopped' | 'completed';

export interface RecurrenceInState {
  readonly recurrenceId: string;
  readonly patientId: string;
  readonly schedule: RecurrenceSchedule;
  readonly price: number;
  readonly reminders: { readonly enabled: boolean; readonly daysBefore: number };
  readonly status: RecurrenceStatus;
  /** Occurrences on dates before this are never generated (the start date, or the day it resumed). */
  readonly notBefore: string;
  /** The latest occurrence date generated or skipped: what the next run goes on from (null: none yet). */
  readonly handledThrough: string | null;
}

export const initialTherapistState: TherapistState = { status: 'unregistered' };

/**
 * Names the shape of TherapistState for snapshots: bump it whenever evolve or the state changes,
 * so snapshots of the old shape are ignored and streams are folded anew.
 */
export const THERAPIST_STATE_VERSION = 'therapist-state-5';

/** A state read back from a snapshot written with THERAPIST_STATE_VERSION (plain JSON, so only checked lightly). */
export function reviveTherapistState(json: unknown): TherapistState {
  if (typeof json !== 'object' || json === null || !('status' in json)) throw new Error('Not a therapist state snapshot');
  return json as TherapistState;
}
