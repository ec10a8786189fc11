import {
  CancelledError, DeadlineExceededError, NO_STREAM, UnavailableError, UnknownError, WrongExpectedVersionError, convertToCommandError, type EventStoreDBClient,
} from '@eventstore/db-client';
import { WrongExpectedRevision, type AppendResult, type EventToAppend, type ExpectedRevision, type RecordedEvent } from '../event-store.js';
import { AppendOutcomeUnknown, EventStoreTimeout } from './errors.js';
import { normalised, toEsdbExpected, toEventData } from './mapping.js';

/** When the expectation does not say where the events would be, this many newest events are searched for them. */
const READ_BACK_WINDOW = 1000;

/** What appending needs from the store: its client, its bound, and strict reads of one stream. */
export interface AppendContext {
  readonly client: EventStoreDBClient;
  readonly appendMs: number;
  readonly readStream: (streamId: string, options: { fromRevision: number; maxCount: number }) => Promise<RecordedEvent[]>;
  readonly readStreamBackwards: (streamId: string, maxCount: number) => Promise<RecordedEvent[]>;
  /** The stream's last revision, -1 when it does not exist. */
  readonly currentRevision: (streamId: string) => Promise<number>;
}

/**
 * Appends `events` (at least one). A refusal is WrongExpectedRevision in whatever form the client gives it
 * (an error, or `success: false`); no answer at all (our timer, the call's deadline, a dropped connection)
 * is resolved by reading the stream back for the events' ids, since an append is all or nothing.
 */
export async function appendEvents(context: AppendContext, streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
  let answer: Awaited<ReturnType<EventStoreDBClient['appendToStream']>>;
  try {
    // The deadline cancels a plain append on the wire and tells the server when to give up on a batch append;
    // our timer bounds the wait either way (a batch append's call itself has no deadline).
    const call = context.client.appendToStream(streamId, events.map(toEventData), { expectedRevision: toEsdbExpected(expected), deadline: context.appendMs });
    answer = await within(call, context.appendMs, `an append to ${streamId}`);
  } catch (raw) {
    // The client passes some gRPC errors through unconverted (those of its server-features probe among them).
    const error: unknown = raw instanceof Error ? convertToCommandError(raw) : raw;
    if (error instanceof WrongExpectedVersionError) {
      throw new WrongExpectedRevision(streamId, expected, error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion));
    }
    if (!unanswered(error)) throw error;
    return resolveUnanswered(context, streamId, events, expected, error);
  }
  // The option is forced on, so this is defence in depth; the revision of a refusal is not trusted (batch appends garble it).
  if (!answer.success) throw new WrongExpectedRevision(streamId, expected, await context.currentRevision(streamId));
  const revision = Number(answer.nextExpectedRevision);
  // The server answers with its commit position as both halves, which is not the last event's (commit, prepare)
  // pair when several events were written; reading that event back by its revision is exact and not racy.
  const [last] = await context.readStream(streamId, { fromRevision: revision, maxCount: 1 });
  if (last && last.eventId === events.at(-1)?.eventId) return { nextExpectedRevision: revision, position: last.position };
  // An idempotent repeat may answer with another revision than that of our last event: look for ours.
  const found = await findAppended(context, streamId, events, expected);
  if (!found) throw new Error(`Appending to ${streamId}: the events written at revision ${revision} could not be read back`);
  return found;
}

async function resolveUnanswered(context: AppendContext, streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision, cause: unknown): Promise<AppendResult> {
  const ids = events.map((e) => e.eventId);
  let found: AppendResult | undefined;
  try {
    found = await findAppended(context, streamId, events, expected);
  } catch (readError) {
    throw new AppendOutcomeUnknown(streamId, ids, `no answer (${describe(cause)}), and reading the stream back failed (${describe(readError)})`, { cause });
  }
  if (found) return found;
  throw new AppendOutcomeUnknown(streamId, ids, `no answer (${describe(cause)}), and the events were not in the stream when read back: it may still land`, { cause });
}

/** Where our events sit in the stream, if they do: all of them, consecutively, in order. */
export async function findAppended(context: AppendContext, streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult | undefined> {
  const ids = events.map((e) => e.eventId);
  const e = normalised(expected);
  const from = e.kind === 'exact' ? e.revision + 1 : e.kind === 'no_stream' ? 0 : undefined;
  // An exact expectation says where they would be; otherwise they are among the newest.
  const candidates = from !== undefined
    ? await context.readStream(streamId, { fromRevision: from, maxCount: ids.length })
    : (await context.readStreamBackwards(streamId, ids.length + READ_BACK_WINDOW)).reverse();
  const start = candidates.findIndex((c) => c.eventId === ids[0]);
  if (start < 0) return undefined;
  const block = candidates.slice(start, start + ids.length);
  const last = block.at(-1);
  if (!last || block.length !== ids.length || block.some((c, i) => c.eventId !== ids[i])) return undefined;
  return { nextExpectedRevision: last.streamRevision, position: last.position };
}

/** Errors after which the append may or may not have been written. */
function unanswered(error: unknown): boolean {
  return error instanceof EventStoreTimeout || error instanceof DeadlineExceededError || error instanceof UnavailableError
    || error instanceof CancelledError || error instanceof UnknownError;
}

/** Rejects with EventStoreTimeout after `ms`; the call itself is left to its own deadline. */
async function within<T>(call: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // Once we stop waiting, a late rejection of the call must not go unhandled.
  call.catch(() => undefined);
  try {
    return await Promise.race([call, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new EventStoreTimeout(operation, ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
