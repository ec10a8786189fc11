import type { RecurrenceSchedule } from '../recurrence/recurrence-schedule.js';

/** A schedule as the therapist gives it: in their own time zone, which the decider fills in. */
export type ScheduleInput = Omit<RecurrenceSchedule, 'timezone'>;

export interface RecurrenceSettings {
  readonly schedule: ScheduleInput;
  readonly price: number;
  readonly reminders: { readonly enabled: boolean; readonly daysBefore: number };
}

export interface ConfigureRecurrence extends RecurrenceSettings {
  readonly type: 'ConfigureRecurrence';
  readonly recurrenceId: string;
  readonly patientId: string;
  readonly now: Date;
}

export interface ModifyRecurrence extends RecurrenceSettings {
  readonly type: 'ModifyRecurrence';
  readonly recurrenceId: string;
  /** BR-RS-005: also move the generated sessions not paid yet ("Update 3 pending sessions? [Yes]"). */
  readonly applyToPending: boolean;
  readonly now: Date;
}

export interface ChangeRecurrenceState {
  readonly type: 'PauseRecurrence' | 'ResumeRecurrence' | 'StopRecurrence';
  readonly recurrenceId: string;
  readonly now: Date;
}

/** The daily run (or `recurring generate`): every occurrence due up to `advanceDays` ahead. */
export interface GenerateRecurringSessions {
  readonly type: 'GenerateRecurringSessions';
  readonly advanceDays: number;
  readonly now: Date;
}

export interface RecordPaymentReminderDue {
  readonly type: 'RecordPaymentReminderDue';
  readonly sessionId: string;
  readonly now: Date;
}

/** The reminders of a run, in one decision (one append for the day's reminders of a calendar). */
export interface RecordPaymentRemindersDue {
  readonly type: 'RecordPaymentRemindersDue';
  readonly sessionIds: readonly string[];
  readonly now: Date;
}

/** A one-off session the therapist schedules for one of their patients (source `manual`). */
export interface ScheduleSession {
  readonly type: 'ScheduleSession';
  readonly sessionId: string;
  readonly patientId: string;
  readonly date: string;
  readonly time: string;
  readonly durationMinutes: number;
  readonly price: number;
  readonly now: Date;
}

export interface RecordSessionPayment {
  readonly type: 'RecordSessionPayment';
  readonly sessionId: string;
  /** A transfer the therapist saw arrive, or a Mercado Pago payment approved for the session's link. */
  readonly method: 'bank_transfer' | 'mercadopago';
  readonly reference: string | null;
  readonly now: Date;
}

export interface MarkNotificationsRead {
  readonly type: 'MarkNotificationsRead';
  readonly notificationIds: readonly string[];
  readonly now: Date;
}

export type RecurrenceCommand =
  | ConfigureRecurrence
  | ModifyRecurrence
  | ChangeRecurrenceState
  | GenerateRecurringSessions
  | RecordPaymentReminderDue
  | RecordPaymentRemindersDue
  | ScheduleSession
  | RecordSessionPayment
  | MarkNotificationsRead;
