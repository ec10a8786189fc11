import { DateTime } from 'luxon';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Actor, EventStore, RecordedEvent } from '../infra/event-store/event-store.js';
import { calendarAsOf } from '../queries/as-of-calendar.js';
import { StreamOwners } from '../queries/audit-history.js';
import { CliInputError } from './cli-access.js';
import type { Services } from './services.js';

/** What a CLI command prints as it is, instead of one line of JSON: a timeline is read by people. */
export class PlainText {
  constructor(readonly text: string) {}
}

const STREAM = z.string().regex(/^[a-z]{1,30}-[0-9a-f-]{36}$/, 'Give a stream id, e.g. therapist-{uuid} or patient-{uuid}');
const PAGE = 1000;

/**
 * `history <stream>`: one line per event — when it was recorded (in the therapist's zone when the
 * stream is a therapist's or one of their patients'), revision, type, who, and what it says, without
 * personal data: only fields known to be dates, times, statuses, amounts and ids are printed, and a
 * sealed value is named, never opened.
 */
export async function historyCommand(services: Services, args: readonly string[]): Promise<PlainText> {
  const { positionals } = parseArgs({ args: [...args], options: {}, allowPositionals: true, strict: true });
  const parsed = STREAM.safeParse(positionals[0]?.toLowerCase());
  if (!parsed.success) throw new CliInputError('Give the stream id: history therapist-{uuid} | patient-{uuid} | integrations-{uuid} | calendar-{uuid}');
  const streamId = parsed.data;
  const zoneOf = await zoneTracker(services.store, streamId);
  const lines: string[] = [];
  for (let fromRevision = 0; ; fromRevision += PAGE) {
    const events = await services.store.readStream(streamId, { fromRevision, maxCount: PAGE });
    for (const event of events) lines.push(line(event, zoneOf(event)));
    if (events.length < PAGE) break;
  }
  if (lines.length === 0) throw new CliInputError(`Stream ${streamId} has no events`);
  return new PlainText(`${streamId}: ${lines.length} event${lines.length === 1 ? '' : 's'}\n${lines.join('\n')}`);
}

/** `replay --therapist <id> --as-of <instant> [--start YYYY-MM-DD --end YYYY-MM-DD]`: the calendar as of then (see queries/as-of-calendar.ts). */
export async function replayCommand(services: Services, args: readonly string[]) {
  const { values } = parseArgs({ args: [...args], options: { therapist: { type: 'string' }, 'as-of': { type: 'string' }, start: { type: 'string' }, end: { type: 'string' } }, strict: true });
  const therapistId = z.uuid().safeParse(values.therapist);
  if (!therapistId.success) throw new CliInputError('--therapist must be the therapist id (UUID)');
  const asOf = z.iso.datetime({ offset: true }).safeParse(values['as-of']);
  if (!asOf.success) throw new CliInputError('--as-of must be an ISO-8601 instant, e.g. 2027-03-01T11:00:00Z');
  const dates = [values.start, values.end].map((d) => (d === undefined ? undefined : z.iso.date().safeParse(d)));
  if (dates.some((d) => d?.success === false) || (values.start === undefined) !== (values.end === undefined) || (values.start ?? '') > (values.end ?? '')) {
    throw new CliInputError('--start and --end go together, as dates YYYY-MM-DD, start not after end');
  }
  const range = values.start !== undefined && values.end !== undefined ? { startDate: values.start, endDate: values.end } : undefined;
  const calendar = await calendarAsOf(services.store, therapistId.data.toLowerCase(), new Date(asOf.data), range);
  if (!calendar) throw new CliInputError(`Therapist ${therapistId.data} had no calendar at ${asOf.data}`);
  return calendar;
}

/** The zone each event's time is shown in: a therapist stream follows its own policy changes; others take their owner's current zone, or UTC. */
async function zoneTracker(store: EventStore, streamId: string): Promise<(event: RecordedEvent) => string> {
  if (streamId.startsWith('therapist-')) {
    let zone = 'UTC';
    return (event) => {
      const timezone = (event.data as { timezone?: unknown } | null)?.timezone;
      if ((event.type === 'TherapistRegistered' || event.type === 'BookingPoliciesChanged') && typeof timezone === 'string') zone = timezone;
      return zone;
    };
  }
  const owner = await new StreamOwners(store).therapistOf(streamId);
  let zone = 'UTC';
  if (owner) {
    for (const event of await store.readStream(`therapist-${owner}`, { maxCount: 1 })) {
      const timezone = (event.data as { timezone?: unknown } | null)?.timezone;
      if (typeof timezone === 'string') zone = timezone;
    }
  }
  return () => zone;
}

function line(event: RecordedEvent, zone: string): string {
  const when = DateTime.fromJSDate(event.recordedAt, { zone }).toFormat('yyyy-MM-dd HH:mm:ss.SSS ZZ');
  const summary = summarise(event.data);
  return [when, `#${event.streamRevision}`, event.type, `by ${actorText(event.metadata.actor)}`, ...(summary ? [summary] : [])].join('  ');
}

function actorText(actor: Actor): string {
  switch (actor.kind) {
    case 'therapist':
      return `therapist ${short(actor.id)}`;
    case 'patient':
      return actor.patientId ? `patient ${short(actor.patientId)}` : actor.bookingId ? `patient of booking ${short(actor.bookingId)}` : 'patient';
    case 'system':
      return `system (${actor.job})`;
    case 'webhook':
      return `webhook (${actor.source})`;
    case 'operator':
      return `operator (${actor.name})`;
    default:
      return 'unknown';
  }
}

/** Fields printed as they are: none of them can hold what a person typed about themselves. */
const PLAIN = new Set([
  'status', 'paymentMethod', 'method', 'requestedDate', 'requestedTime', 'startsAt', 'endsAt', 'durationMinutes', 'priceAtBooking', 'price', 'sessionPrice',
  'customPrice', 'currency', 'holdExpiresAt', 'expiresAt', 'paymentExpiresAt', 'cancelledBy', 'expiryReason', 'date', 'allDay', 'startTime', 'endTime', 'isAvailable',
  'frequency', 'intervalDays', 'dayOfWeek', 'localTime', 'time', 'startDate', 'endDate', 'effectiveFrom', 'resumeFrom', 'timezone', 'matchedBy', 'noteType', 'pinned',
  'isNewPatient', 'occurrenceDate', 'paymentStatus', 'source', 'channel', 'purpose', 'driver', 'amount', 'attempts', 'lastOccurrenceDate', 'sessionDurationMinutes',
  'bufferBeforeMinutes', 'bufferAfterMinutes', 'minAdvanceBookingHours', 'maxAdvanceBookingDays', 'slotStepMinutes', 'integration',
]);
/** Lists shown by their length or, for reasons (an enum), their values. */
const COUNTED = new Set(['rules', 'notificationIds', 'bookingIds', 'sessionIds']);

/** Ids first, then what happened, then which personal data it carries (named, never shown). */
function summarise(data: unknown): string {
  if (typeof data !== 'object' || data === null) return '';
  const ids: string[] = [];
  const facts: string[] = [];
  const sealed: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (isSealed(value)) sealed.push(`${key} ${'legacy' in value ? 'recorded before sealing, not shown' : 'sealed'}`);
    // A Google calendar id is often its owner's e-mail address.
    else if (key.endsWith('Id') && key !== 'calendarId' && typeof value === 'string') ids.push(`${key.slice(0, -2)} ${short(value)}`);
    else if (PLAIN.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) facts.push(`${key}=${String(value)}`);
    else if (COUNTED.has(key) && Array.isArray(value)) facts.push(`${key}: ${value.length}`);
    else if (key === 'reasons' && Array.isArray(value) && value.every((v) => typeof v === 'string' && /^[a-z_]+$/.test(v))) facts.push(`reasons=${value.join(',')}`);
  }
  return [...ids, ...facts, ...sealed].join(' · ');
}

function isSealed(value: unknown): value is object {
  return typeof value === 'object' && value !== null && ('ciphertext' in value || 'legacy' in value);
}

function short(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
