import { randomUUID } from 'node:crypto';
import { patientStream } from '../domain/patient/patient-events.js';
import { livePatient } from '../domain/patient/patient-state.js';
import { NotFound } from '../domain/shared/domain-error.js';
import { pendingChanges, recurrenceIn } from '../domain/therapist/decide-recurrence.js';
import type { ChangeRecurrenceState, RecurrenceSettings, ScheduleInput } from '../domain/therapist/recurrence-commands.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { RecurrenceInState } from '../domain/therapist/therapist-state.js';
import { canonicalSchedule } from '../domain/recurrence/recurrence-schedule.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';
import { generateForTherapist } from './recurring-generation.js';

export interface RecurrenceInput {
  readonly schedule: ScheduleInput;
  /** null: the patient's custom price when set (their preferences), else the therapist's. */
  readonly price: number | null;
  readonly reminders: RecurrenceSettings['reminders'];
}

/**
 * ConfigureRecurrence for a live patient of this therapist; the therapist joins the daily generation
 * of their time zone (app.recurring_therapists, which the job walks: not a read model).
 */
export async function configureRecurrence(ctx: CommandContext, therapistId: string, patientId: string, input: RecurrenceInput, caller: Caller, recurrenceId: string = randomUUID()) {
  const patient = livePatient((await ctx.patients.load(patientStream(patientId))).state, { patientId, therapistId });
  const stream = therapistStream(therapistId);
  const therapist = requireRegistered((await ctx.therapists.load(stream)).state);
  const price = input.price ?? patient.customPrice ?? therapist.sessionPrice;
  await joinDailyGeneration(ctx, therapistId, therapist.policies.timezone);
  const result = await ctx.therapists.handle(stream, { type: 'ConfigureRecurrence', recurrenceId, patientId, schedule: input.schedule, price, reminders: input.reminders, now: ctx.clock.now() }, metadataOf(caller));
  await ctx.recurringJobs.ensureDaily(therapist.policies.timezone).catch((error: unknown) => ctx.onBackgroundError(error, 'could not schedule the daily generation'));
  const generated = await generateNow(ctx, therapistId);
  const recurrence = recurrenceIn(requireRegistered((await ctx.therapists.load(stream)).state), recurrenceId);
  if (!recurrence) throw new Error('The recurrence was decided but is not in the stream state');
  return { recurrence, position: generated ?? result.position };
}

/**
 * BR-RS-005: the new settings apply to what is not generated yet. The answer counts the generated
 * sessions not paid yet that would change; they change only when `applyToPending` asks for it.
 */
export async function modifyRecurrence(ctx: CommandContext, therapistId: string, recurrenceId: string, input: RecurrenceInput & { applyToPending: boolean }, caller: Caller) {
  const stream = therapistStream(therapistId);
  const therapist = requireRegistered((await ctx.therapists.load(stream)).state);
  const current = recurrenceIn(therapist, recurrenceId);
  if (!current) throw new NotFound('recurrence', recurrenceId);
  const price = input.price ?? current.price;
  const now = ctx.clock.now();
  const result = await ctx.therapists.handle(
    stream,
    { type: 'ModifyRecurrence', recurrenceId, schedule: input.schedule, price, reminders: input.reminders, applyToPending: input.applyToPending, now },
    metadataOf(caller),
  );
  const after = requireRegistered(result.state);
  const recurrence = recurrenceIn(after, recurrenceId);
  if (!recurrence) throw new NotFound('recurrence', recurrenceId);
  // Moved: rescheduled on their date, or cancelled for the new rule's occurrence of their week.
  const rescheduled = result.events.filter((e) => e.type === 'SessionRescheduled' || e.type === 'SessionCancelled').length;
  const generated = await generateNow(ctx, therapistId);
  // What still differs after the decision: all of them when not applied, those kept for a conflict when applied.
  const remaining = pendingChanges(after, recurrenceId, canonicalSchedule({ ...input.schedule, timezone: after.policies.timezone }), price, now);
  return { recurrence, pendingSessions: remaining.length + rescheduled, rescheduled, keptForConflict: input.applyToPending ? remaining.length : 0, position: generated ?? result.position };
}

export async function changeRecurrenceState(ctx: CommandContext, therapistId: string, recurrenceId: string, type: ChangeRecurrenceState['type'], caller: Caller) {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type, recurrenceId, now: ctx.clock.now() }, metadataOf(caller));
  // Resumed: this week's occurrences come at once, not at the next midnight.
  const generated = type === 'ResumeRecurrence' && result.events.length > 0 ? await generateNow(ctx, therapistId) : undefined;
  const recurrence = recurrenceIn(requireRegistered((await ctx.therapists.load(therapistStream(therapistId))).state), recurrenceId);
  if (!recurrence) throw new NotFound('recurrence', recurrenceId);
  return { recurrence, position: generated ?? result.position };
}

/** A one-off session for one of the therapist's patients (source `manual`): 409 when it overlaps a session or hold. */
export async function scheduleManualSession(
  ctx: CommandContext,
  therapistId: string,
  input: { patientId: string; date: string; time: string; durationMinutes: number | null; price: number | null },
  caller: Caller,
  sessionId: string = randomUUID(),
) {
  const patient = livePatient((await ctx.patients.load(patientStream(input.patientId))).state, { patientId: input.patientId, therapistId });
  const stream = therapistStream(therapistId);
  const therapist = requireRegistered((await ctx.therapists.load(stream)).state);
  const result = await ctx.therapists.handle(
    stream,
    {
      type: 'ScheduleSession',
      sessionId,
      patientId: input.patientId,
      date: input.date,
      time: input.time,
      durationMinutes: input.durationMinutes ?? therapist.policies.sessionDurationMinutes,
      price: input.price ?? patient.customPrice ?? therapist.sessionPrice,
      now: ctx.clock.now(),
    },
    metadataOf(caller),
  );
  const session = requireRegistered(result.state).sessions[sessionId];
  if (!session) throw new Error('The session was decided but is not in the stream state');
  return { session, position: result.position };
}

export async function recordSessionPayment(ctx: CommandContext, therapistId: string, sessionId: string, reference: string | null, caller: Caller, method: 'bank_transfer' | 'mercadopago' = 'bank_transfer') {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'RecordSessionPayment', sessionId, method, reference, now: ctx.clock.now() }, metadataOf(caller));
  const session = requireRegistered(result.state).sessions[sessionId];
  if (!session) throw new NotFound('session', sessionId);
  return { session, position: result.position };
}

export async function markNotificationsRead(ctx: CommandContext, therapistId: string, notificationIds: readonly string[], caller: Caller) {
  return ctx.therapists.handle(therapistStream(therapistId), { type: 'MarkNotificationsRead', notificationIds, now: ctx.clock.now() }, metadataOf(caller));
}

export function recurrencesOfPatient(state: Parameters<typeof requireRegistered>[0], patientId: string): RecurrenceInState[] {
  return Object.values(requireRegistered(state).recurrences).filter((r) => r.patientId === patientId);
}

/**
 * The coming days' occurrences at once after a recurrence is set up, changed or resumed: otherwise
 * one due before the next midnight would only be skipped as late. The daily run catches up if this fails.
 */
async function generateNow(ctx: CommandContext, therapistId: string) {
  try {
    return (await generateForTherapist(ctx, therapistId, ctx.clock.now())).position;
  } catch (error) {
    ctx.onBackgroundError(error, 'could not generate the coming recurring sessions; the daily run will');
    return undefined;
  }
}

async function joinDailyGeneration(ctx: CommandContext, therapistId: string, timezone: string): Promise<void> {
  await ctx.db('app.recurring_therapists').insert({ therapist_id: therapistId, timezone }).onConflict('therapist_id').merge(['timezone']);
}
