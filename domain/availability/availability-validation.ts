import type { FieldIssue } from '../shared/domain-error.js';
import type { AvailabilityException, AvailabilityRule, BookingPolicies } from './availability-types.js';
import { minuteRange } from './day-ranges.js';
import { isValidTimeZone, parseLocalDate, parseLocalTime } from './time.js';

/** Shortest weekly block or extra-availability range (BR-AV-001): shorter ones cannot hold a session. */
export const MIN_BLOCK_MINUTES = 30;
export const MAX_REASON_LENGTH = 255;
/** Vacations are planned ahead, but not decades ahead: past that a date is a typo. */
export const MAX_EXCEPTION_DAYS_AHEAD = 730;
export const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** A start/end pair: both `HH:MM`, end after start, end may be `24:00`. Issues are reported under `prefix`. */
export function validateTimeRange(prefix: string, startTime: string, endTime: string, minimumMinutes: number): FieldIssue[] {
  const start = parseLocalTime(startTime);
  const end = parseLocalTime(endTime, { endOfDay: true });
  const issues: FieldIssue[] = [];
  if (start === null) issues.push({ field: `${prefix}startTime`, message: 'Must be a time HH:MM between 00:00 and 23:59' });
  if (end === null) issues.push({ field: `${prefix}endTime`, message: 'Must be a time HH:MM between 00:01 and 24:00' });
  if (start === null || end === null) return issues;
  if (end <= start) issues.push({ field: `${prefix}endTime`, message: 'End time must be after start time' });
  else if (end - start < minimumMinutes) issues.push({ field: `${prefix}endTime`, message: `The block must last at least ${minimumMinutes} minutes` });
  return issues;
}

/** BR-AV-001 over a whole weekly schedule, with paths like `rules.2.endTime`. */
export function validateWeeklyRules(rules: readonly AvailabilityRule[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seenIds = new Set<string>();
  const accepted: { index: number; rule: AvailabilityRule; start: number; end: number }[] = [];
  rules.forEach((rule, index) => {
    const prefix = `rules.${index}.`;
    if (rule.ruleId.trim() === '') issues.push({ field: `${prefix}ruleId`, message: 'A rule id is required' });
    else if (seenIds.has(rule.ruleId)) issues.push({ field: `${prefix}ruleId`, message: 'Rule ids must be unique' });
    seenIds.add(rule.ruleId);
    const dayIsValid = Number.isInteger(rule.dayOfWeek) && rule.dayOfWeek >= 0 && rule.dayOfWeek <= 6;
    if (!dayIsValid) issues.push({ field: `${prefix}dayOfWeek`, message: 'Must be a day of the week from 0 (Sunday) to 6 (Saturday)' });
    const rangeIssues = validateTimeRange(prefix, rule.startTime, rule.endTime, MIN_BLOCK_MINUTES);
    issues.push(...rangeIssues);
    const range = minuteRange(rule.startTime, rule.endTime);
    if (!dayIsValid || rangeIssues.length > 0 || range === null) return;
    const [start, end] = range;
    const clash = accepted.find((other) => other.rule.dayOfWeek === rule.dayOfWeek && other.start < end && start < other.end);
    if (clash) {
      const day = DAY_NAMES[rule.dayOfWeek] ?? String(rule.dayOfWeek);
      issues.push({
        field: `rules.${index}`,
        message: `This time overlaps with existing block ${day} ${clash.rule.startTime}–${clash.rule.endTime} (rules.${clash.index})`,
      });
      return;
    }
    accepted.push({ index, rule, start, end });
  });
  return issues;
}

export type BookingPolicyChanges = Partial<BookingPolicies>;

interface IntegerBounds {
  readonly min: number;
  readonly max: number;
  readonly multipleOf?: number;
}

// BR-AV-002 and the bounds a therapist may configure; notice up to a week, horizon up to a year.
const POLICY_BOUNDS = {
  sessionDurationMinutes: { min: 30, max: 120, multipleOf: 5 },
  bufferBeforeMinutes: { min: 0, max: 120 },
  bufferAfterMinutes: { min: 0, max: 120 },
  minAdvanceBookingHours: { min: 0, max: 168 },
  maxAdvanceBookingDays: { min: 1, max: 365 },
} as const satisfies Record<string, IntegerBounds>;
const SLOT_STEP_BOUNDS: IntegerBounds = { min: 5, max: 240, multipleOf: 5 };

/** Each provided field of a partial policy change, with its own path (`sessionDurationMinutes`…). */
export function validatePolicyChanges(changes: BookingPolicyChanges): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of Object.keys(POLICY_BOUNDS) as (keyof typeof POLICY_BOUNDS)[]) {
    const value = changes[field];
    if (value !== undefined) issues.push(...checkInteger(field, value, POLICY_BOUNDS[field]));
  }
  if (changes.slotStepMinutes !== undefined && changes.slotStepMinutes !== null) {
    issues.push(...checkInteger('slotStepMinutes', changes.slotStepMinutes, SLOT_STEP_BOUNDS));
  }
  if (changes.timezone !== undefined && !isValidTimeZone(changes.timezone)) {
    issues.push({ field: 'timezone', message: 'Must be an IANA time zone such as America/Argentina/Buenos_Aires' });
  }
  return issues;
}

function checkInteger(field: string, value: number, bounds: IntegerBounds): FieldIssue[] {
  const multiple = bounds.multipleOf;
  const valid = Number.isInteger(value) && value >= bounds.min && value <= bounds.max && (multiple === undefined || value % multiple === 0);
  if (valid) return [];
  const suffix = multiple === undefined ? '' : `, in steps of ${multiple}`;
  return [{ field, message: `Must be a whole number from ${bounds.min} to ${bounds.max}${suffix}` }];
}

/** An exception as the therapist asks for it: everything but the id it will get. */
export type ExceptionInput = Omit<AvailabilityException, 'exceptionId'>;

/**
 * A date exception: a real date not before `today` (the therapist's local date), either all day or a
 * time range. Extra availability needs a range of at least 30 minutes; a block may be any length.
 * An all-day extra availability is refused: 24 bookable hours is never what a therapist means.
 */
export function validateException(input: ExceptionInput, today: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const day = parseLocalDate(input.date);
  if (day === null) issues.push({ field: 'date', message: 'Must be a date YYYY-MM-DD' });
  else if (day < today) issues.push({ field: 'date', message: 'The date is in the past' });
  else if (day > today + MAX_EXCEPTION_DAYS_AHEAD) issues.push({ field: 'date', message: 'Must be within two years from today' });
  if (input.reason !== null && input.reason.length > MAX_REASON_LENGTH) {
    issues.push({ field: 'reason', message: `Must be at most ${MAX_REASON_LENGTH} characters` });
  }
  if (input.allDay) {
    if (input.isAvailable) issues.push({ field: 'allDay', message: 'Extra availability needs a start and end time' });
    if (input.startTime !== null) issues.push({ field: 'startTime', message: 'An all-day exception has no start time' });
    if (input.endTime !== null) issues.push({ field: 'endTime', message: 'An all-day exception has no end time' });
    return issues;
  }
  if (input.startTime === null) issues.push({ field: 'startTime', message: 'Required unless the exception is all day' });
  if (input.endTime === null) issues.push({ field: 'endTime', message: 'Required unless the exception is all day' });
  if (input.startTime !== null && input.endTime !== null) {
    issues.push(...validateTimeRange('', input.startTime, input.endTime, input.isAvailable ? MIN_BLOCK_MINUTES : 1));
  }
  return issues;
}
