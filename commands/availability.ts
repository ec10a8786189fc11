import { randomUUID } from 'node:crypto';
import type { AvailabilityException, AvailabilityRule, BookingPolicies } from '../domain/availability/availability-types.js';
import type { BookingPolicyChanges, ExceptionInput } from '../domain/availability/availability-validation.js';
import { exceptionWarnings, scheduleWarnings, type CalendarWarning } from '../domain/therapist/calendar-warnings.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { LogPosition } from '../infra/event-store/event-store.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';

export interface Written<T> {
  readonly value: T;
  readonly warnings: readonly CalendarWarning[];
  /** Where the change landed in the log; absent when nothing changed. */
  readonly position: LogPosition | undefined;
}

export type WeeklyBlock = Omit<AvailabilityRule, 'ruleId'>;

/**
 * Replaces the weekly schedule. A block that was already there keeps its id, so an id the
 * therapist's screen still shows stays valid for DELETE.
 */
export async function defineWeeklySchedule(ctx: CommandContext, therapistId: string, blocks: readonly WeeklyBlock[], caller: Caller): Promise<Written<readonly AvailabilityRule[]>> {
  const stream = therapistStream(therapistId);
  const current = requireRegistered((await ctx.therapists.load(stream)).state);
  const unused = new Map(current.rules.map((r) => [blockKey(r), r.ruleId]));
  const rules = blocks.map((block) => {
    const key = blockKey(block);
    const kept = unused.get(key);
    unused.delete(key);
    return { ruleId: kept ?? randomUUID(), ...block };
  });
  const result = await ctx.therapists.handle(stream, { type: 'DefineAvailability', rules }, metadataOf(caller));
  const state = requireRegistered(result.state);
  return { value: state.rules, warnings: scheduleWarnings(state.rules, state.policies), position: result.position };
}

export async function removeWeeklyBlock(ctx: CommandContext, therapistId: string, ruleId: string, caller: Caller): Promise<Written<null>> {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'RemoveAvailabilityRule', ruleId }, metadataOf(caller));
  return { value: null, warnings: [], position: result.position };
}

export async function addException(ctx: CommandContext, therapistId: string, exception: ExceptionInput, caller: Caller): Promise<Written<AvailabilityException>> {
  const exceptionId = randomUUID();
  const result = await ctx.therapists.handle(
    therapistStream(therapistId),
    { type: 'AddAvailabilityException', exceptionId, exception, now: ctx.clock.now() },
    metadataOf(caller),
  );
  const added = { exceptionId, ...exception };
  return { value: added, warnings: exceptionWarnings(requireRegistered(result.state), added), position: result.position };
}

export async function removeException(ctx: CommandContext, therapistId: string, exceptionId: string, caller: Caller): Promise<Written<null>> {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'RemoveAvailabilityException', exceptionId }, metadataOf(caller));
  return { value: null, warnings: [], position: result.position };
}

export async function changeBookingPolicies(ctx: CommandContext, therapistId: string, changes: BookingPolicyChanges, caller: Caller): Promise<Written<BookingPolicies>> {
  const result = await ctx.therapists.handle(therapistStream(therapistId), { type: 'ChangeBookingPolicies', changes }, metadataOf(caller));
  const state = requireRegistered(result.state);
  return { value: state.policies, warnings: scheduleWarnings(state.rules, state.policies), position: result.position };
}

function blockKey(block: WeeklyBlock): string {
  return `${block.dayOfWeek}|${block.startTime}|${block.endTime}`;
}
