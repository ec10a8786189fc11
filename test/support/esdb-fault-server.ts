import { randomUUID } from 'node:crypto';
import grpc from '@grpc/grpc-js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import {
  appendExpected, appendSuccess, appendWrongExpectedVersion, batchExpected, batchSuccess, batchWrongExpectedVersion, confirmationMessage,
  eventMessage, parseReadRequest, proposedEvent, streamName, streamNotFoundMessage, supportedMethods,
  type Expected, type ProposedEvent, type ReadRequest, type StoredEvent, type WirePosition,
} from './esdb-fault-server-wire.js';

export type { StoredEvent } from './esdb-fault-server-wire.js';

/**
 * What the server does to the next append instead of answering it normally:
 * - `wrong-expected-version`: refuses it as EventStoreDB does when the stream moved on, writing nothing;
 * - `no-answer`: writes nothing and never answers;
 * - `commit-no-answer`: writes the events and never answers (the reply lost on the way back).
 */
export type AppendFault = 'wrong-expected-version' | 'no-answer' | 'commit-no-answer';

type Subscriber = { readonly call: grpc.ServerWritableStream<streamsPb.ReadReq, streamsPb.ReadResp>; next: number; dropAfter: number | undefined };

/**
 * A local gRPC server speaking EventStoreDB's wire protocol (the service definitions shipped in the client
 * package), for driving the real @eventstore/db-client into the faults a real server or network produces.
 * A fault injector, not a second event store: one in-memory log, no idempotence, no ACLs, no filters,
 * no link resolution; expected revisions are checked only as far as "is the stream at that revision".
 */
export class EsdbFaultServer {
  /** $all, in log order. */
  readonly events: StoredEvent[] = [];
  /**
   * Calls as the server saw them, for specifications to wait on: reads now waiting on holdReads(), reads
   * the client cancelled (at all, and while they waited), and where each subscription started.
   */
  readonly calls = { reads: 0, appends: 0, batchAppends: 0, heldReads: 0, cancelledReads: 0, cancelledWhileHeld: 0, subscriptions: [] as ('start' | 'end' | WirePosition)[] };
  private readonly subscribers = new Set<Subscriber>();
  private readonly appendFaults: AppendFault[] = [];
  private readonly held = new Set<() => void>();
  private readHold: { after: number; released: Promise<void> } | undefined;
  private subscriptionFaults: { refuse: boolean; dropNextAfter: number | undefined } = { refuse: false, dropNextAfter: undefined };

  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
  ) {}

  /** `batchAppend`: advertise BatchAppend, as real servers since 21.10 do, so the client appends through it. */
  static async start(options: { batchAppend?: boolean } = {}): Promise<EsdbFaultServer> {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    const fault = new EsdbFaultServer(server, port);
    server.addService(streamsGrpc.StreamsService, {
      read: (call: Subscriber['call']) => {
        fault.read(call).catch((error: unknown) => call.emit('error', { code: grpc.status.INTERNAL, details: String(error) }));
      },
      append: (call: grpc.ServerReadableStream<streamsPb.AppendReq, streamsPb.AppendResp>, callback: grpc.sendUnaryData<streamsPb.AppendResp>) => fault.append(call, callback),
      batchAppend: (call: grpc.ServerDuplexStream<streamsPb.BatchAppendReq, streamsPb.BatchAppendResp>) => fault.batchAppend(call),
    });
    server.addService(serverFeaturesGrpc.ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, supportedMethods(options.batchAppend ?? false)),
    });
    return fault;
  }

  /** A single node, no TLS: the client connects straight to it, with no gossip discovery. */
  url(params: Record<string, string> = {}): string {
    return `esdb://127.0.0.1:${this.port}?${new URLSearchParams({ tls: 'false', ...params }).toString()}`;
  }

  /** Writes straight into the log, as another application (or the web UI) would: metadata as given, or none. */
  writeForeign(event: { streamId: string; type: string; metadata?: Uint8Array | string; data?: unknown; contentType?: string }): StoredEvent {
    const metadata = typeof event.metadata === 'string' ? Buffer.from(event.metadata, 'utf8') : (event.metadata ?? new Uint8Array());
    const [stored] = this.commit(event.streamId, [{
      streamId: event.streamId, eventId: randomUUID(), type: event.type, contentType: event.contentType ?? 'application/json',
      data: Buffer.from(JSON.stringify(event.data ?? {}), 'utf8'), metadata,
    }]);
    if (!stored) throw new Error('nothing written');
    return stored;
  }

  /** Reads (not subscriptions) send `after` events, then wait until released: never, if it is not called. */
  holdReads(options: { after?: number } = {}): () => void {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held.add(release);
    this.readHold = { after: options.after ?? 0, released };
    return () => {
      this.readHold = undefined;
      release();
    };
  }

  failNextAppend(fault: AppendFault): void {
    this.appendFaults.push(fault);
  }

  /** Ends every live subscription with UNAVAILABLE, as a dropped connection or a restarting node does. */
  dropSubscriptions(): void {
    for (const subscriber of this.subscribers) this.drop(subscriber);
  }

  /** While refused, a new subscription is answered with UNAVAILABLE at once: the outage lasts. */
  refuseSubscriptions(refuse: boolean): void {
    this.subscriptionFaults.refuse = refuse;
  }

  /** The next subscription delivers `count` events, then ends with UNAVAILABLE. */
  dropNextSubscriptionAfter(count: number): void {
    this.subscriptionFaults.dropNextAfter = count;
  }

  get liveSubscriptions(): number {
    return this.subscribers.size;
  }

  async stop(): Promise<void> {
    for (const release of this.held) release();
    this.server.forceShutdown();
    return Promise.resolve();
  }

  private async read(call: Subscriber['call']): Promise<void> {
    const request = parseReadRequest(call.request);
    if (request.kind === 'subscribe-all') return this.subscribe(call, request.from);
    this.calls.reads++;
    const hold = this.readHold;
    let waiting = false;
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
      this.calls.cancelledReads++;
      if (waiting) this.calls.cancelledWhileHeld++;
    });
    const found = this.select(request);
    const messages = found?.map(eventMessage) ?? (request.kind === 'stream' ? [streamNotFoundMessage(request.streamId)] : []);
    for (let i = 0; i <= messages.length; i++) {
      if (hold && i === Math.min(hold.after, messages.length)) {
        waiting = true;
        this.calls.heldReads++;
        await hold.released;
        this.calls.heldReads--;
        waiting = false;
      }
      if (cancelled) return;
      const message = messages[i];
      if (message) call.write(message);
    }
    call.end();
  }

  /** undefined: no such stream. */
  private select(request: Exclude<ReadRequest, { kind: 'subscribe-all' }>): StoredEvent[] | undefined {
    if (request.kind === 'stream') {
      const stream = this.events.filter((e) => e.streamId === request.streamId);
      if (stream.length === 0) return undefined;
      const from = request.from === 'start' ? 0 : request.from === 'end' ? stream.length - 1 : Number(request.from);
      const chosen = request.backwards ? stream.filter((e) => e.revision <= from).reverse() : stream.filter((e) => e.revision >= from);
      return chosen.slice(0, request.count);
    }
    const { from } = request;
    // Forwards from a position includes the event at it; backwards from one reads what lies before it.
    const chosen = request.backwards
      ? this.events.filter((e) => from === 'end' || from === 'start' || compare(e.position, from) < 0).reverse()
      : this.events.filter((e) => from === 'start' || (from !== 'end' && compare(e.position, from) >= 0));
    return chosen.slice(0, request.count);
  }

  private subscribe(call: Subscriber['call'], from: 'start' | 'end' | WirePosition): void {
    this.calls.subscriptions.push(from);
    if (this.subscriptionFaults.refuse) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fault injected: subscriptions refused' });
      return;
    }
    // A subscription from a position starts after it, unlike a read.
    const next = from === 'start' ? 0 : from === 'end' ? this.events.length : this.events.filter((e) => compare(e.position, from) <= 0).length;
    const subscriber: Subscriber = { call, next, dropAfter: this.subscriptionFaults.dropNextAfter };
    this.subscriptionFaults.dropNextAfter = undefined;
    this.subscribers.add(subscriber);
    call.on('cancelled', () => this.subscribers.delete(subscriber));
    call.write(confirmationMessage(randomUUID()));
    this.pump(subscriber);
  }

  private pump(subscriber: Subscriber): void {
    while (this.subscribers.has(subscriber) && subscriber.next < this.events.length) {
      if (subscriber.dropAfter !== undefined && subscriber.dropAfter-- <= 0) return this.drop(subscriber);
      const event = this.events[subscriber.next++];
      if (event) subscriber.call.write(eventMessage(event));
    }
    if (subscriber.dropAfter === 0) this.drop(subscriber);
  }

  private drop(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    // The status follows the events already written, as it would on the wire.
    subscriber.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fault injected: subscription dropped' });
  }

  private append(call: grpc.ServerReadableStream<streamsPb.AppendReq, streamsPb.AppendResp>, callback: grpc.sendUnaryData<streamsPb.AppendResp>): void {
    let streamId = '';
    let expected: Expected = 'any';
    const proposed: ProposedEvent[] = [];
    call.on('data', (req: streamsPb.AppendReq) => {
      const options = req.getOptions();
      if (options) {
        streamId = streamName(options.getStreamIdentifier());
        expected = appendExpected(options);
      }
      const message = req.getProposedMessage();
      if (message) proposed.push(proposedEvent(streamId, message));
    });
    call.on('end', () => {
      const outcome = this.decide(streamId, expected, proposed);
      if (outcome.kind === 'wrong') callback(null, appendWrongExpectedVersion(outcome.current, expected));
      else if (outcome.kind === 'written') callback(null, appendSuccess(outcome.current, outcome.position));
    });
  }

  private batchAppend(call: grpc.ServerDuplexStream<streamsPb.BatchAppendReq, streamsPb.BatchAppendResp>): void {
    const pending = new Map<string, { streamId: string; expected: Expected; proposed: ProposedEvent[] }>();
    call.on('data', (req: streamsPb.BatchAppendReq) => {
      const correlationId = req.getCorrelationId();
      const key = correlationId?.getString() ?? '';
      const options = req.getOptions();
      const batch = pending.get(key) ?? { streamId: streamName(options?.getStreamIdentifier()), expected: options ? batchExpected(options) : 'any', proposed: [] };
      pending.set(key, batch);
      batch.proposed.push(...req.getProposedMessagesList().map((m) => proposedEvent(batch.streamId, m)));
      if (!req.getIsFinal()) return;
      pending.delete(key);
      this.calls.batchAppends++;
      const outcome = this.decide(batch.streamId, batch.expected, batch.proposed);
      if (outcome.kind === 'wrong') call.write(batchWrongExpectedVersion(correlationId, batch.streamId, outcome.current, batch.expected));
      else if (outcome.kind === 'written') call.write(batchSuccess(correlationId, batch.streamId, outcome.current, outcome.position));
    });
    call.on('end', () => call.end());
  }

  private decide(streamId: string, expected: Expected, proposed: ProposedEvent[]):
    { kind: 'wrong'; current: number } | { kind: 'written'; current: number; position: WirePosition } | { kind: 'silent' } {
    this.calls.appends++;
    const fault = this.appendFaults.shift();
    const current = this.revisionOf(streamId);
    if (fault === 'no-answer') return { kind: 'silent' };
    const satisfied = expected === 'any' || (expected === 'no_stream' ? current < 0 : expected === 'stream_exists' ? current >= 0 : BigInt(current) === expected);
    if (fault === 'wrong-expected-version' || !satisfied) return { kind: 'wrong', current };
    const written = this.commit(streamId, proposed);
    const last = written.at(-1);
    if (fault === 'commit-no-answer') return { kind: 'silent' };
    return last ? { kind: 'written', current: last.revision, position: last.position } : { kind: 'written', current, position: { commit: -1n, prepare: -1n } };
  }

  private commit(streamId: string, proposed: readonly ProposedEvent[]): StoredEvent[] {
    const first = this.revisionOf(streamId) + 1;
    const written = proposed.map((p, i) => {
      // Commit and prepare equal and growing, like a single node's positions of events written one by one.
      const offset = BigInt((this.events.length + 1) * 128);
      const event: StoredEvent = { ...p, streamId, revision: first + i, position: { commit: offset, prepare: offset } };
      this.events.push(event);
      return event;
    });
    for (const subscriber of this.subscribers) this.pump(subscriber);
    return written;
  }

  private revisionOf(streamId: string): number {
    return this.events.filter((e) => e.streamId === streamId).length - 1;
  }
}

function compare(a: WirePosition, b: WirePosition): number {
  return a.commit !== b.commit ? (a.commit < b.commit ? -1 : 1) : a.prepare !== b.prepare ? (a.prepare < b.prepare ? -1 : 1) : 0;
}
