import { randomUUID } from 'node:crypto';
import { localDayOf, parseLocalDate, timeZone } from '../domain/availability/time.js';
import { recurrenceIn } from '../domain/therapist/decide-recurrence.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { LogPosition } from '../infra/event-store/event-store.js';
import { describeError } from '../infra/logging/safe-error.js';
import { systemCaller, metadataOf } from './caller.js';
import type { CommandContext } from './command-context.js';

/** Where the daily generation runs from (Agenda jobs in production; nothing in the CLI or tests). */
export interface RecurringJobScheduler {
  /** Makes sure the daily run at 00:00 of `timezone` exists. */
  ensureDaily(timezone: string): Promise<void>;
}

export const noRecurringJobs: RecurringJobScheduler = { ensureDaily: () => Promise.resolve() };

/** RECURRING_ADVANCE_GENERATION_DAYS (BR-RS-001: 7). */
export interface RecurringTimes {
  readonly advanceDays: number;
}

export interface GenerationOutcome {
  /** Where the run's last event is in the log (undefined: it appended nothing). */
  readonly position?: LogPosition | undefined;
  readonly generated: number;
  readonly skipped: number;
  readonly completed: number;
  readonly remindersDue: number;
}

export interface GenerationSummary extends GenerationOutcome {
  readonly id: string;
  readonly trigger: string;
  readonly timezone: string | null;
  readonly asOf: string;
  readonly processed: number;
  readonly errors: readonly { readonly therapistId: string; readonly error: string }[];
}


/**
 * One therapist's run: every occurrence due up to the advance window (generated or skipped, on the
 * therapist stream like any booking), then every payment reminder come due (BR-RS-007: N days before
 * the session, checked on each run, so a reminder never depends on a job of its own).
 */
export async function generateForTherapist(ctx: CommandContext, therapistId: string, now: Date): Promise<GenerationOutcome> {
  const stream = therapistStream(therapistId);
  const caller = systemCaller('recurring-generation');
  const result = await ctx.therapists.handle(stream, { type: 'GenerateRecurringSessions', advanceDays: ctx.recurring.advanceDays, now }, metadataOf(caller));
  const count = (type: string) => result.events.filter((e) => e.type === type).length;
  const therapist = requireRegistered(result.state);
  const today = localDayOf(timeZone(therapist.policies.timezone), now.getTime());
  const due = Object.values(therapist.sessions).filter((session) => {
    const recurrence = session.recurrenceId ? recurrenceIn(therapist, session.recurrenceId) : undefined;
    if (!recurrence?.reminders.enabled || session.status !== 'scheduled' || session.paymentStatus !== 'pending' || session.reminderDueAt !== null) return false;
    if (Date.parse(session.startsAt) <= now.getTime() || session.occurrenceDate === null) return false;
    // BR-RS-007 in days: the run of the day N days before the session's local date records it.
    return (parseLocalDate(session.occurrenceDate) ?? 0) - recurrence.reminders.daysBefore <= today;
  });
  let remindersDue = 0;
  let position = result.position;
  if (due.length > 0) {
    // One decision (one append) for the day's reminders of this calendar.
    const reminded = await ctx.therapists.handle(stream, { type: 'RecordPaymentRemindersDue', sessionIds: due.map((s) => s.sessionId), now }, metadataOf(caller));
    remindersDue = reminded.events.length;
    position = reminded.position ?? position;
  }
  return { position, generated: count('SessionScheduled'), skipped: count('RecurringSessionSkipped'), completed: count('RecurrenceCompleted'), remindersDue };
}

/**
 * The daily run (or `recurring generate` by hand): every therapist with recurrences (of one time zone,
 * for the job of that zone's midnight). A therapist that fails is counted and the others go on; the
 * summary is logged and kept in app.recurring_generation_runs.
 */
export async function runRecurringGeneration(ctx: CommandContext, options: { trigger: string; timezone?: string; now?: Date }): Promise<GenerationSummary> {
  const startedAt = ctx.clock.now();
  const now = options.now ?? startedAt;
  const query = ctx.db('app.recurring_therapists').select('therapist_id').orderBy('therapist_id');
  if (options.timezone) void query.where({ timezone: options.timezone });
  const therapists = ((await query) as { therapist_id: string }[]).map((r) => r.therapist_id);
  const totals = { generated: 0, skipped: 0, completed: 0, remindersDue: 0 };
  const errors: { therapistId: string; error: string }[] = [];
  for (const therapistId of therapists) {
    try {
      const outcome = await generateForTherapist(ctx, therapistId, now);
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += outcome[key];
    } catch (error) {
      errors.push({ therapistId, error: describeError(error) });
      ctx.onBackgroundError(error, `recurring generation failed for therapist ${therapistId}`);
    }
  }
  const summary: GenerationSummary = { id: randomUUID(), trigger: options.trigger, timezone: options.timezone ?? null, asOf: now.toISOString(), processed: therapists.length, ...totals, errors };
  await ctx.db('app.recurring_generation_runs').insert({
    id: summary.id,
    trigger: summary.trigger,
    timezone: summary.timezone,
    as_of: now,
    started_at: startedAt,
    finished_at: ctx.clock.now(),
    processed: summary.processed,
    generated: summary.generated,
    skipped: summary.skipped,
    completed: summary.completed,
    reminders_due: summary.remindersDue,
    errors: JSON.stringify(errors),
  });
  return summary;
}
