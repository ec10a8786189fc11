/**
 * EventStoreDB's wire messages for the fault server (test/support/esdb-fault-server.ts), built with the
 * protobuf classes that ship in @eventstore/db-client, so the real client decodes them as it would a server's.
 * Only the fields the client reads are set.
 */
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import serverFeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';

/** The generated modules are CommonJS whose exports Node cannot list, hence default imports. */
const { AppendResp, BatchAppendResp, ReadResp } = streamsPb;
type ReadReq = streamsPb.ReadReq;
type AppendReqOptions = streamsPb.AppendReq.Options;
type BatchAppendReqOptions = streamsPb.BatchAppendReq.Options;
type Proposed = streamsPb.AppendReq.ProposedMessage | streamsPb.BatchAppendReq.ProposedMessage;

export interface WirePosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** One event as the server keeps it: what the wire carries, nothing interpreted. */
export interface StoredEvent {
  readonly streamId: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  readonly position: WirePosition;
}

export type Expected = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** A proposed event before the server gives it a revision and a position. */
export type ProposedEvent = Omit<StoredEvent, 'revision' | 'position'>;

export type ReadRequest =
  | { readonly kind: 'stream'; readonly streamId: string; readonly from: 'start' | 'end' | bigint; readonly backwards: boolean; readonly count: number }
  | { readonly kind: 'all'; readonly from: 'start' | 'end' | WirePosition; readonly backwards: boolean; readonly count: number }
  | { readonly kind: 'subscribe-all'; readonly from: 'start' | 'end' | WirePosition };

/** What a Read call asks for. Filters are ignored: the adapter hides system events itself. */
export function parseReadRequest(req: ReadReq): ReadRequest {
  const options = req.getOptions();
  if (!options) throw new Error('ReadReq without options');
  const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
  const count = options.hasCount() ? Number(options.getCount()) : Number.MAX_SAFE_INTEGER;
  const all = options.getAll();
  if (all) {
    const position = all.getPosition();
    const from = position ? { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) } : all.hasEnd() ? 'end' : 'start';
    return options.hasSubscription() ? { kind: 'subscribe-all', from } : { kind: 'all', from, backwards, count };
  }
  const stream = options.getStream();
  if (!stream || options.hasSubscription()) throw new Error('The fault server reads streams and $all, and subscribes to $all only');
  const from = stream.hasRevision() ? BigInt(stream.getRevision()) : stream.hasEnd() ? 'end' : 'start';
  return { kind: 'stream', streamId: streamName(stream.getStreamIdentifier()), from, backwards, count };
}

export function streamName(identifier: sharedPb.StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

export function appendExpected(options: AppendReqOptions): Expected {
  if (options.hasRevision()) return BigInt(options.getRevision());
  return options.hasNoStream() ? 'no_stream' : options.hasStreamExists() ? 'stream_exists' : 'any';
}

export function batchExpected(options: BatchAppendReqOptions): Expected {
  if (options.hasStreamPosition()) return BigInt(options.getStreamPosition());
  return options.hasNoStream() ? 'no_stream' : options.hasStreamExists() ? 'stream_exists' : 'any';
}

export function proposedEvent(streamId: string, message: Proposed): ProposedEvent {
  const metadata = message.getMetadataMap();
  return {
    streamId,
    eventId: message.getId()?.getString() ?? '',
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? 'application/octet-stream',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

export function eventMessage(event: StoredEvent): streamsPb.ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuid(event.eventId));
  recorded.setStreamIdentifier(identifier(event.streamId));
  recorded.setStreamRevision(String(event.revision));
  recorded.setCommitPosition(String(event.position.commit));
  recorded.setPreparePosition(String(event.position.prepare));
  recorded.getMetadataMap().set('type', event.type).set('content-type', event.contentType).set('created', String(BigInt(Date.now()) * 10_000n));
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.metadata);
  const read = new ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(String(event.position.commit));
  return new ReadResp().setEvent(read);
}

export function confirmationMessage(subscriptionId: string): streamsPb.ReadResp {
  return new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(subscriptionId));
}

export function streamNotFoundMessage(streamId: string): streamsPb.ReadResp {
  return new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(identifier(streamId)));
}

/** `current` is the stream's revision, -1 when it does not exist. */
export function appendSuccess(current: number, position: WirePosition): streamsPb.AppendResp {
  const success = new AppendResp.Success().setCurrentRevision(String(current));
  success.setPosition(new AppendResp.Position().setCommitPosition(String(position.commit)).setPreparePosition(String(position.prepare)));
  return new AppendResp().setSuccess(success);
}

export function appendWrongExpectedVersion(current: number, expected: Expected): streamsPb.AppendResp {
  const wrong = new AppendResp.WrongExpectedVersion();
  if (current < 0) wrong.setCurrentNoStream(new sharedPb.Empty());
  else wrong.setCurrentRevision(String(current));
  if (typeof expected === 'bigint') wrong.setExpectedRevision(String(expected));
  else if (expected === 'no_stream') wrong.setExpectedNoStream(new sharedPb.Empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new sharedPb.Empty());
  else wrong.setExpectedAny(new sharedPb.Empty());
  return new AppendResp().setWrongExpectedVersion(wrong);
}

export function batchSuccess(correlationId: sharedPb.UUID | undefined, streamId: string, current: number, position: WirePosition): streamsPb.BatchAppendResp {
  const success = new BatchAppendResp.Success().setCurrentRevision(String(current));
  success.setPosition(new sharedPb.AllStreamPosition().setCommitPosition(String(position.commit)).setPreparePosition(String(position.prepare)));
  return new BatchAppendResp().setCorrelationId(correlationId).setStreamIdentifier(identifier(streamId)).setSuccess(success);
}

/** A batch append's failure travels as a google.rpc.Status whose details carry the WrongExpectedVersion. */
export function batchWrongExpectedVersion(correlationId: sharedPb.UUID | undefined, streamId: string, current: number, expected: Expected): streamsPb.BatchAppendResp {
  const wrong = new sharedPb.WrongExpectedVersion();
  if (current < 0) wrong.setCurrentNoStream(new emptyPb.Empty());
  else wrong.setCurrentStreamRevision(String(current));
  if (typeof expected === 'bigint') wrong.setExpectedStreamPosition(String(expected));
  else if (expected === 'no_stream') wrong.setExpectedNoStream(new emptyPb.Empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new emptyPb.Empty());
  else wrong.setExpectedAny(new emptyPb.Empty());
  const details = new anyPb.Any();
  details.pack(wrong.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  const error = new statusPb.Status().setCode(9).setMessage('Wrong expected version').setDetails(details);
  return new BatchAppendResp().setCorrelationId(correlationId).setStreamIdentifier(identifier(streamId)).setError(error);
}

/** The methods advertised to the client: it appends through BatchAppend only when that one is listed. */
export function supportedMethods(batchAppend: boolean): serverFeaturesPb.SupportedMethods {
  const methods = ['read', 'append', ...(batchAppend ? ['batchappend'] : [])].map((name) =>
    new serverFeaturesPb.SupportedMethod().setServiceName('event_store.client.streams.streams').setMethodName(name),
  );
  return new serverFeaturesPb.SupportedMethods().setMethodsList(methods).setEventStoreServerVersion('24.10.0-fault-injector');
}

function uuid(id: string): sharedPb.UUID {
  return new sharedPb.UUID().setString(id);
}

function identifier(streamId: string): sharedPb.StreamIdentifier {
  return new sharedPb.StreamIdentifier().setStreamName(Buffer.from(streamId, 'utf8'));
}
