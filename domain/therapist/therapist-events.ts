import { EventCodec, type EventDefinition } from '../shared/event-codec.js';
import {
  availabilityExceptionAdded,
  availabilityExceptionRemoved,
  availabilityRuleRemoved,
  bookingPoliciesChanged,
  weeklyScheduleDefined,
  type AvailabilityExceptionAdded,
  type AvailabilityExceptionRemoved,
  type AvailabilityRuleRemoved,
  type BookingPoliciesChanged,
  type WeeklyScheduleDefined,
} from './events/availability-events.js';
import {
  bookingCancelled,
  bookingConfirmed,
  bookingExpired,
  bookingHoldExpired,
  bookingRequestArchived,
  bookingRequested,
  latePaymentReceived,
  paymentStarted,
  type BookingCancelled,
  type BookingConfirmed,
  type BookingExpired,
  type BookingHoldExpired,
  type BookingRequestArchived,
  type BookingRequested,
  type LatePaymentReceived,
  type PaymentStarted,
} from './events/booking-events.js';
import { patientTokenReissued, patientTokenRevoked, type PatientTokenReissued, type PatientTokenRevoked } from './events/patient-access-events.js';
import { therapistRegistered, type TherapistRegistered } from './events/profile-events.js';
import {
  notificationsRead,
  paymentReminderDue,
  recurrenceCompleted,
  recurrenceConfigured,
  recurrenceModified,
  recurrencePaused,
  recurrenceResumed,
  recurrenceStopped,
  recurringSessionSkipped,
  sessionPaymentReceived,
  sessionRescheduled,
  type NotificationsRead,
  type PaymentReminderDue,
  type RecurrenceCompleted,
  type RecurrenceConfigured,
  type RecurrenceModified,
  type RecurrencePaused,
  type RecurrenceResumed,
  type RecurrenceStopped,
  type RecurringSessionSkipped,
  type SessionPaymentReceived,
  type SessionRescheduled,
} from './events/recurrence-events.js';
import {
  sessionCancelled,
  sessionCompleted,
  sessionMarkedNoShow,
  sessionScheduled,
  type SessionCancelled,
  type SessionCompleted,
  type SessionMarkedNoShow,
  type SessionScheduled,
} from './events/session-events.js';

export type * from './events/availability-events.js';
export type * from './events/booking-events.js';
export type * from './events/patient-access-events.js';
export type * from './events/profile-events.js';
export type * from './events/recurrence-events.js';
export type * from './events/session-events.js';

/** Everything that can happen on a `therapist-{id}` stream (each definition names its schema version). */
export type TherapistEvent =
  | TherapistRegistered
  | WeeklyScheduleDefined
  | AvailabilityRuleRemoved
  | AvailabilityExceptionAdded
  | AvailabilityExceptionRemoved
  | BookingPoliciesChanged
  | BookingRequested
  | BookingHoldExpired
  | PaymentStarted
  | BookingConfirmed
  | SessionScheduled
  | BookingCancelled
  | BookingExpired
  | LatePaymentReceived
  | BookingRequestArchived
  | SessionCompleted
  | SessionMarkedNoShow
  | SessionCancelled
  | PatientTokenRevoked
  | PatientTokenReissued
  | RecurrenceConfigured
  | RecurrenceModified
  | RecurrencePaused
  | RecurrenceResumed
  | RecurrenceStopped
  | RecurrenceCompleted
  | RecurringSessionSkipped
  | SessionRescheduled
  | SessionPaymentReceived
  | PaymentReminderDue
  | NotificationsRead;

export type TherapistEventType = TherapistEvent['type'];

export const therapistEventDefinitions = [
  therapistRegistered,
  weeklyScheduleDefined,
  availabilityRuleRemoved,
  availabilityExceptionAdded,
  availabilityExceptionRemoved,
  bookingPoliciesChanged,
  bookingRequested,
  bookingHoldExpired,
  paymentStarted,
  bookingConfirmed,
  sessionScheduled,
  bookingCancelled,
  bookingExpired,
  latePaymentReceived,
  bookingRequestArchived,
  sessionCompleted,
  sessionMarkedNoShow,
  sessionCancelled,
  patientTokenRevoked,
  patientTokenReissued,
  recurrenceConfigured,
  recurrenceModified,
  recurrencePaused,
  recurrenceResumed,
  recurrenceStopped,
  recurrenceCompleted,
  recurringSessionSkipped,
  sessionRescheduled,
  sessionPaymentReceived,
  paymentReminderDue,
  notificationsRead,
] as const satisfies readonly EventDefinition<TherapistEventType>[];

export const therapistEventCodec = new EventCodec<TherapistEvent>(therapistEventDefinitions);
