import { randomUUID } from 'node:crypto';
import type { Decider, DomainEvent } from '../domain/shared/decider.js';
import type { EventCodec } from '../domain/shared/event-codec.js';
import {
  ExpectedRevision,
  WrongExpectedRevision,
  type EventMetadata,
  type EventStore,
  type LogPosition,
  type RecordedEvent,
} from '../infra/event-store/event-store.js';
import { KeyedQueue } from './keyed-queue.js';
import type { SnapshotPolicy } from './snapshots.js';

export interface CommandResult<State, Event> {
  readonly events: readonly Event[];
  /** State before the command: what warnings are computed against. */
  readonly stateBefore: State;
  readonly state: State;
  /** Revision of the stream after the command (-1: still no stream). */
  readonly revision: number;
  /** Log position of the last appended event; absent when the command decided nothing. */
  readonly position?: LogPosition;
}

/** Told how each command was answered and of each lost race that is retried (the metrics). */
export interface CommandObserver<Command = unknown> {
  answered(command: Command, result: { readonly appended: number } | { readonly error: unknown }): void;
  retried(command: Command): void;
}

export interface CommandHandlerOptions<State = unknown, Command = unknown> {
  /** Attempts on a lost optimistic-concurrency race before giving up. */
  readonly maxAttempts?: number;
  /** Streams whose folded state is kept in memory so a long stream is not refolded per command. */
  readonly cachedStreams?: number;
  readonly random?: () => number;
  readonly snapshots?: SnapshotPolicy<State>;
  /** Where a failed snapshot save is reported; it never fails the command. */
  readonly onSnapshotError?: (error: unknown) => void;
  /** Told when a cached state or snapshot was ahead of the store (a restored backup, a switched store) and was dropped. */
  readonly onStaleState?: (streamId: string, cachedRevision: number) => void;
  readonly observer?: CommandObserver<Command>;
}

interface CachedStream<State> {
  readonly state: State;
  readonly revision: number;
}

interface CacheEntry<State> extends CachedStream<State> {
  /** Revision of the newest snapshot known for the stream (-1: none). */
  readonly snapshotRevision: number;
  /** Id of the event at `revision`, when known: what tells the same revision of another history apart. */
  readonly eventId: string | undefined;
}

/**
 * The one command handler: read the stream (from the cached state onward), fold, decide, append
 * with the revision that was read. On WrongExpectedRevision it re-reads and re-decides, with jittered
 * backoff, a bounded number of times; the final loss surfaces as the WrongExpectedRevision itself.
 */
export class CommandHandler<Command, State, Event extends DomainEvent> {
  private readonly queue = new KeyedQueue();
  private readonly cache = new Map<string, CacheEntry<State>>();
  private readonly maxAttempts: number;
  private readonly cachedStreams: number;
  private readonly random: () => number;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<Command, State, Event>,
    private readonly codec: EventCodec<Event>,
    private readonly options: CommandHandlerOptions<State, Command> = {},
  ) {
    // Within a process commands to one stream are queued, so conflicts only come from other
    // processes; each lost race means another writer progressed, and 20 rounds absorb a busy stream.
    this.maxAttempts = options.maxAttempts ?? 20;
    this.cachedStreams = options.cachedStreams ?? 1000;
    this.random = options.random ?? Math.random;
  }

  handle(streamId: string, command: Command, metadata: EventMetadata): Promise<CommandResult<State, Event>> {
    const answer = this.queue.run(streamId, () => this.handleQueued(streamId, command, metadata));
    const observer = this.options.observer;
    if (!observer) return answer;
    return answer.then(
      (result) => {
        observer.answered(command, { appended: result.events.length });
        return result;
      },
      (error: unknown) => {
        observer.answered(command, { error });
        throw error;
      },
    );
  }

  /** Current folded state of a stream, for reads that need the write model's view (e.g. warnings). */
  async load(streamId: string): Promise<CachedStream<State>> {
    return this.queue.run(streamId, () => this.read(streamId));
  }

  /**
   * The first attempt decides on the state in memory without reading the stream: in one process
   * commands to a stream are queued, so it is current unless another process appended, and then the
   * append's expected revision says so. A refusal or a no-op decided that way is checked against the
   * stream before it is answered, so a stale state can only cost a retry, never a wrong answer.
   * (One case the expected revision cannot see: a store restored to an earlier point that has grown
   * back to the very revision held here with other events. The next read catches it, by event id.)
   */
  private async handleQueued(streamId: string, command: Command, metadata: EventMetadata): Promise<CommandResult<State, Event>> {
    let unread = this.cache.get(streamId);
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = unread ?? (await this.read(streamId));
      const trusted = unread === undefined;
      unread = undefined;
      let events: readonly Event[];
      try {
        events = this.decider.decide(command, state);
      } catch (error) {
        if (trusted) throw error;
        attempt--;
        continue;
      }
      if (events.length === 0) {
        if (trusted) return { events, stateBefore: state, state, revision };
        attempt--;
        continue;
      }
      try {
        const toAppend = events.map((event) => ({ eventId: randomUUID(), ...this.codec.encode(event), metadata }));
        const appended = await this.store.append(streamId, toAppend, ExpectedRevision.after(revision));
        const after = events.reduce((s, e) => this.decider.evolve(s, e), state);
        this.remember(streamId, { state: after, revision: appended.nextExpectedRevision, snapshotRevision: this.snapshotRevisionOf(streamId), eventId: toAppend[toAppend.length - 1]?.eventId });
        this.maybeSnapshot(streamId);
        return { events, stateBefore: state, state: after, revision: appended.nextExpectedRevision, position: appended.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision) || attempt >= this.maxAttempts) throw error;
        this.options.observer?.retried(command);
        // The cached state is still a true prefix of the stream (it only grows): the retry reads just
        // the events another process appended, which keeps a loser's retry as quick as the winner's next command.
        if (!trusted) continue;
        await sleep(backoff(attempt, this.random));
      }
    }
  }

  /**
   * Folds the stream from the cached state (or the snapshot) onward. The read starts at the cached
   * revision itself, so it also proves that the store still holds that event: when it does not (the
   * store is behind: restored from a backup, another store switched in), the cached state and the
   * snapshot are dropped and the stream is folded from the store alone, instead of every append
   * failing its expected revision forever.
   */
  private async read(streamId: string): Promise<CachedStream<State>> {
    const cached = this.cache.get(streamId) ?? (await this.fromSnapshot(streamId));
    if (cached) {
      const recorded = await this.store.readStream(streamId, { fromRevision: cached.revision });
      const first = recorded[0];
      if (first?.streamRevision === cached.revision && (cached.eventId === undefined || cached.eventId === first.eventId)) return this.fold(streamId, cached, recorded.slice(1));
      await this.forget(streamId, cached.revision);
    }
    return this.fold(streamId, undefined, await this.store.readStream(streamId));
  }

  private fold(streamId: string, cached: CacheEntry<State> | undefined, recorded: readonly RecordedEvent[]): CachedStream<State> {
    let state = cached?.state ?? this.decider.initialState();
    let revision = cached?.revision ?? -1;
    let eventId = cached?.eventId;
    for (const r of recorded) {
      const event = this.codec.decode(r);
      if (event) state = this.decider.evolve(state, event);
      revision = r.streamRevision;
      eventId = r.eventId;
    }
    if (recorded.length > 0 || cached) {
      this.remember(streamId, { state, revision, snapshotRevision: cached?.snapshotRevision ?? -1, eventId });
      this.maybeSnapshot(streamId);
    }
    return { state, revision };
  }

  private async forget(streamId: string, cachedRevision: number): Promise<void> {
    this.cache.delete(streamId);
    await this.options.snapshots?.store.discard(streamId);
    this.options.onStaleState?.(streamId, cachedRevision);
  }

  private async fromSnapshot(streamId: string): Promise<CacheEntry<State> | undefined> {
    const policy = this.options.snapshots;
    if (!policy) return undefined;
    const snapshot = await policy.store.load(streamId, policy.stateVersion);
    return snapshot ? { state: policy.revive(snapshot.state), revision: snapshot.revision, snapshotRevision: snapshot.revision, eventId: snapshot.eventId } : undefined;
  }

  private snapshotRevisionOf(streamId: string): number {
    return this.cache.get(streamId)?.snapshotRevision ?? -1;
  }

  /** Saves the cached state once enough events piled up since the last snapshot; in the background. */
  private maybeSnapshot(streamId: string): void {
    const policy = this.options.snapshots;
    const entry = this.cache.get(streamId);
    if (!policy || !entry || entry.revision - entry.snapshotRevision < policy.every) return;
    this.cache.set(streamId, { ...entry, snapshotRevision: entry.revision });
    policy.store.save(streamId, policy.stateVersion, entry.revision, entry.state, entry.eventId).catch((error: unknown) => {
      this.options.onSnapshotError?.(error);
    });
  }

  private remember(streamId: string, entry: CacheEntry<State>): void {
    // Map keeps insertion order: re-inserting makes this the most recent, the first key the least.
    this.cache.delete(streamId);
    this.cache.set(streamId, entry);
    if (this.cache.size > this.cachedStreams) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}

function backoff(attempt: number, random: () => number): number {
  const ceiling = Math.min(100, 2 ** attempt);
  return Math.floor(random() * ceiling);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
