import type { AvailabilityException } from '../availability/availability-types.js';
import { validateException, validatePolicyChanges, validateWeeklyRules } from '../availability/availability-validation.js';
import { localDayOf, timeZone } from '../availability/time.js';
import { Conflict, NotFound, ValidationFailed } from '../shared/domain-error.js';
import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import type {
  AddAvailabilityException,
  ChangeBookingPolicies,
  DefineAvailability,
  RemoveAvailabilityException,
  RemoveAvailabilityRule,
} from './therapist-commands.js';
import type { RegisteredTherapist, TherapistState } from './therapist-state.js';

export function decideDefineAvailability(command: DefineAvailability, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const issues = validateWeeklyRules(command.rules);
  if (issues.length > 0) throw new ValidationFailed(issues, 'The weekly schedule is not valid');
  if (sameSchedule(therapist.rules, command.rules)) return [];
  return [{ type: 'WeeklyScheduleDefined', data: { rules: command.rules.map(({ ruleId, dayOfWeek, startTime, endTime }) => ({ ruleId, dayOfWeek, startTime, endTime })) } }];
}

export function decideRemoveAvailabilityRule(command: RemoveAvailabilityRule, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  if (!therapist.rules.some((r) => r.ruleId === command.ruleId)) throw new NotFound('availability_rule', command.ruleId);
  return [{ type: 'AvailabilityRuleRemoved', data: { ruleId: command.ruleId } }];
}

export function decideAddAvailabilityException(command: AddAvailabilityException, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const today = localDayOf(timeZone(therapist.policies.timezone), command.now.getTime());
  const issues = validateException(command.exception, today);
  if (issues.length > 0) throw new ValidationFailed(issues, 'The exception is not valid');
  const data = { exceptionId: command.exceptionId, ...command.exception };
  const existing = exceptionOf(therapist, command.exceptionId);
  if (existing) {
    // A retried request with the same id is answered as if it were the first.
    if (sameException(existing, data)) return [];
    throw new Conflict('exception_id_taken', 'Another exception already has this id', { exceptionId: command.exceptionId });
  }
  return [{ type: 'AvailabilityExceptionAdded', data }];
}

export function decideRemoveAvailabilityException(command: RemoveAvailabilityException, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  if (!exceptionOf(therapist, command.exceptionId)) throw new NotFound('availability_exception', command.exceptionId);
  return [{ type: 'AvailabilityExceptionRemoved', data: { exceptionId: command.exceptionId } }];
}

export function decideChangeBookingPolicies(command: ChangeBookingPolicies, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const issues = validatePolicyChanges(command.changes);
  if (issues.length > 0) throw new ValidationFailed(issues, 'The booking settings are not valid');
  const defined = Object.fromEntries(Object.entries(command.changes).filter(([, value]) => value !== undefined));
  const next = { ...therapist.policies, ...defined };
  if (JSON.stringify(next) === JSON.stringify(therapist.policies)) return [];
  // A recurrence keeps its sessions in the zone it was set up in (its rule is written in it): moving
  // the calendar under it would shift every future session. Stop (and set up again) first.
  const live = Object.values(therapist.recurrences).filter((r) => r.status === 'active' || r.status === 'paused');
  if (next.timezone !== therapist.policies.timezone && live.length > 0) {
    throw new Conflict('recurrences_in_zone', `${live.length} recurrence(s) are kept in ${therapist.policies.timezone}: stop them before changing the time zone`, { recurrenceIds: live.map((r) => r.recurrenceId) });
  }
  return [{ type: 'BookingPoliciesChanged', data: next }];
}

/**
 * An exception by id, own entries only: an id comes from the request path as any text, and
 * `exceptions['__proto__']` or `exceptions['constructor']` would find Object.prototype's.
 */
function exceptionOf(therapist: RegisteredTherapist, exceptionId: string): AvailabilityException | undefined {
  return Object.hasOwn(therapist.exceptions, exceptionId) ? therapist.exceptions[exceptionId] : undefined;
}

function sameSchedule(a: DefineAvailability['rules'], b: DefineAvailability['rules']): boolean {
  const key = (rules: DefineAvailability['rules']) =>
    JSON.stringify(rules.map((r) => [r.ruleId, r.dayOfWeek, r.startTime, r.endTime]));
  return key(a) === key(b);
}

function sameException(a: AvailabilityException, b: AvailabilityException): boolean {
  return (
    a.date === b.date &&
    a.allDay === b.allDay &&
    a.startTime === b.startTime &&
    a.endTime === b.endTime &&
    a.isAvailable === b.isAvailable &&
    a.reason === b.reason
  );
}
