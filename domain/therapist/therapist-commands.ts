import type { RecurrenceCommand } from './recurrence-commands.js';
import type { AvailabilityRule, BusyInterval } from '../availability/availability-types.js';
import type { BookingPolicyChanges, ExceptionInput } from '../availability/availability-validation.js';
import type { Sealed } from '../shared/personal-data.js';

/** Everything that can be asked of a therapist's calendar. Time always comes in the command. */
export type * from './recurrence-commands.js';

export type TherapistCommand =
  | RegisterTherapist
  | DefineAvailability
  | RemoveAvailabilityRule
  | AddAvailabilityException
  | RemoveAvailabilityException
  | ChangeBookingPolicies
  | RequestBooking
  | StartPayment
  | ConfirmBooking
  | CancelBooking
  | ExpireBookingHold
  | ExpireBooking
  | ArchiveBookingRequest
  | RecordSessionOutcome
  | RevokePatientToken
  | ReissuePatientToken
  | RecurrenceCommand;

/** The therapist voids the patient's link to a booking. */
export interface RevokePatientToken {
  readonly type: 'RevokePatientToken';
  readonly bookingId: string;
  readonly now: Date;
}

/** The therapist hands the patient a new link; the caller made the token and gives its hash. */
export interface ReissuePatientToken {
  readonly type: 'ReissuePatientToken';
  readonly bookingId: string;
  readonly patientTokenHash: string;
  readonly now: Date;
}

export interface RegisterTherapist {
  readonly type: 'RegisterTherapist';
  readonly therapistId: string;
  readonly name: string;
  readonly slug: string;
  readonly email: string;
  readonly timezone: string;
  readonly sessionPrice: number;
  readonly now: Date;
}

/** Replaces the weekly schedule. */
export interface DefineAvailability {
  readonly type: 'DefineAvailability';
  readonly rules: readonly AvailabilityRule[];
}

export interface RemoveAvailabilityRule {
  readonly type: 'RemoveAvailabilityRule';
  readonly ruleId: string;
}

export interface AddAvailabilityException {
  readonly type: 'AddAvailabilityException';
  readonly exceptionId: string;
  readonly exception: ExceptionInput;
  readonly now: Date;
}

export interface RemoveAvailabilityException {
  readonly type: 'RemoveAvailabilityException';
  readonly exceptionId: string;
}

export interface ChangeBookingPolicies {
  readonly type: 'ChangeBookingPolicies';
  readonly changes: BookingPolicyChanges;
}

export interface RequestBooking {
  readonly type: 'RequestBooking';
  readonly bookingId: string;
  /** Sealed by the caller: the domain never sees the plaintext. */
  readonly contact: Sealed;
  readonly isNewPatient: boolean;
  readonly paymentMethod: 'mercadopago' | 'bank_transfer';
  readonly requestedDate: string;
  readonly requestedTime: string;
  readonly holdMinutes: number;
  readonly expirationMinutes: number;
  readonly patientTokenHash: string;
  /** Busy time from the therapist's connected calendar (Google), fetched by the caller; empty when none. */
  readonly calendarBusy: readonly BusyInterval[];
  readonly now: Date;
}

export interface StartPayment {
  readonly type: 'StartPayment';
  readonly bookingId: string;
  readonly method: 'mercadopago' | 'bank_transfer';
  readonly reference: string | null;
  /** How long a started payment may take to complete (BOOKING_PAYMENT_TIMEOUT_HOURS). */
  readonly paymentTimeoutMinutes: number;
  readonly now: Date;
}

export interface ConfirmBooking {
  readonly type: 'ConfirmBooking';
  readonly bookingId: string;
  /** Ids chosen by the caller, so a retried confirmation is recognisable. */
  readonly sessionId: string;
  readonly patientId: string;
  readonly now: Date;
}

export interface CancelBooking {
  readonly type: 'CancelBooking';
  readonly bookingId: string;
  readonly by: 'patient' | 'therapist';
  /** The patient proves who they are with the token handed out at booking (its hash here). */
  readonly patientTokenHash: string | null;
  /** A patient's token works until this many hours after the session ends (PATIENT_TOKEN_HOURS_AFTER_SESSION). */
  readonly patientLinkHours: number;
  /** Sealed by the caller: free text about the patient. */
  readonly reason: Sealed | null;
  readonly now: Date;
}

export interface ExpireBookingHold {
  readonly type: 'ExpireBookingHold';
  readonly bookingId: string;
  readonly now: Date;
}

/** Sent by the expiry jobs and the sweep: an unpaid request past its expiry, or a payment past its deadline. */
export interface ExpireBooking {
  readonly type: 'ExpireBooking';
  readonly bookingId: string;
  readonly now: Date;
}

/** Sent by the deadline sweep: a request closed (expired or cancelled) long enough ago leaves the working pipeline (BR-BK-006). */
export interface ArchiveBookingRequest {
  readonly type: 'ArchiveBookingRequest';
  readonly bookingId: string;
  readonly now: Date;
}

export interface RecordSessionOutcome {
  readonly type: 'RecordSessionOutcome';
  readonly sessionId: string;
  readonly outcome: 'completed' | 'no_show' | 'cancelled';
  /** Sealed by the caller: free text about the patient. */
  readonly reason: Sealed | null;
  readonly now: Date;
}
