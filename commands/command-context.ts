import type { Knex } from 'knex';
import type { PatientCommand, PatientState } from '../domain/patient/patient-decider.js';
import type { PatientEvent } from '../domain/patient/patient-events.js';
import type { TherapistCommand } from '../domain/therapist/therapist-commands.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import type { TherapistState } from '../domain/therapist/therapist-state.js';
import type { Clock } from '../infra/clock.js';
import type { CalendarBusyLookup } from '../integrations/calendar-busy.js';
import type { KeyStore } from '../infra/crypto/key-store.js';
import type { BookingTimes, ExpiryScheduler } from './booking-expiry.js';
import type { CommandHandler } from './command-handler.js';
import type { PatientTokens } from './patient-tokens.js';
import type { RecurringJobScheduler, RecurringTimes } from './recurring-generation.js';

/** What use cases need: the stream handlers, the clock, and the database for non-event-sourced bits. */
export interface CommandContext {
  readonly therapists: CommandHandler<TherapistCommand, TherapistState, TherapistEvent>;
  readonly patients: CommandHandler<PatientCommand, PatientState, PatientEvent>;
  readonly clock: Clock;
  readonly patientTokens: PatientTokens;
  /** Seals and opens personal data; destroys it when a patient is forgotten. */
  readonly keys: KeyStore;
  readonly bookingTimes: BookingTimes;
  readonly expiry: ExpiryScheduler;
  readonly recurring: RecurringTimes;
  readonly recurringJobs: RecurringJobScheduler;
  /** Busy time from the therapist's own calendar (Google), when the integration has one to ask. */
  readonly calendarBusy?: CalendarBusyLookup;
  /** Failures of work that must not fail the command (it has a fallback): logged. */
  onBackgroundError(error: unknown, what: string): void;
  readonly db: Knex;
}
