import { START, type EventStore, type LogPosition, type RecordedEvent } from '../infra/event-store/event-store.js';

/** Filters of the auditors' history; each given one narrows it further. */
export interface HistoryFilter {
  readonly streamId?: string;
  /** Events of the therapist's own streams and of their patients' streams. */
  readonly therapistId?: string;
  readonly types?: readonly string[];
  /** Recorded at or after (the store's clock). */
  readonly from?: Date;
  /** Recorded at or before. */
  readonly to?: Date;
}

export interface HistoryPage {
  readonly events: readonly RecordedEvent[];
  /** Where the next page goes on from: the last event returned, or the last one looked at; null before the first event. */
  readonly next: LogPosition | null;
  /** Events of the log this request looked at, matching or not. */
  readonly scanned: number;
  /** The scan reached the newest event of the log: a next page has nothing yet. */
  readonly atHead: boolean;
}

/**
 * At most this many events of the log are read by one request, however few of them match: a
 * narrow filter over a long log answers a cursor to go on from instead of holding a connection.
 */
export const MAX_SCANNED_PER_REQUEST = 5000;
const CHUNK = 500;

/** The streams a therapist owns outright; a patient's stream names its therapist in its first event. */
const THERAPIST_OWNED = /^(therapist|integrations|calendar)-([0-9a-f-]{36})$/;
const PATIENT = /^patient-[0-9a-f-]{36}$/;

/**
 * Whose history a stream is part of. A patient's owner never changes, so it is remembered (ids only,
 * bounded) instead of read again for every event of the stream.
 */
export class StreamOwners {
  private readonly known = new Map<string, string | null>();

  constructor(
    private readonly store: EventStore,
    private readonly capacity = 10_000,
  ) {}

  async therapistOf(streamId: string): Promise<string | null> {
    const owned = THERAPIST_OWNED.exec(streamId);
    if (owned) return owned[2] ?? null;
    if (!PATIENT.test(streamId)) return null;
    const remembered = this.known.get(streamId);
    if (remembered !== undefined) return remembered;
    const [first] = await this.store.readStream(streamId, { maxCount: 1 });
    const therapistId = (first?.data as { therapistId?: unknown } | undefined)?.therapistId;
    const owner = typeof therapistId === 'string' ? therapistId : null;
    // An unknown patient stream may still be written: only an answer from its first event is kept.
    if (first) {
      if (this.known.size >= this.capacity) this.known.clear();
      this.known.set(streamId, owner);
    }
    return owner;
  }
}

/** One page of the history in log order, strictly after `after`: up to `limit` matches within the scan bound. */
export async function historyPage(
  store: EventStore,
  owners: StreamOwners,
  filter: HistoryFilter,
  page: { readonly after: LogPosition | null; readonly limit: number; readonly maxScanned?: number },
): Promise<HistoryPage> {
  const maxScanned = page.maxScanned ?? MAX_SCANNED_PER_REQUEST;
  const types = filter.types ? new Set(filter.types) : undefined;
  const matches = async (event: RecordedEvent) =>
    (filter.streamId === undefined || event.streamId === filter.streamId) &&
    (types === undefined || types.has(event.type)) &&
    (filter.from === undefined || event.recordedAt >= filter.from) &&
    (filter.to === undefined || event.recordedAt <= filter.to) &&
    (filter.therapistId === undefined || (await owners.therapistOf(event.streamId)) === filter.therapistId);

  const events: RecordedEvent[] = [];
  let cursor = page.after;
  let scanned = 0;
  while (scanned < maxScanned) {
    const asked = Math.min(CHUNK, maxScanned - scanned);
    const chunk = await store.readAll({ after: cursor ?? START, maxCount: asked });
    for (const event of chunk) {
      scanned += 1;
      cursor = event.position;
      if (!(await matches(event))) continue;
      events.push(event);
      if (events.length === page.limit) return { events, next: cursor, scanned, atHead: false };
    }
    if (chunk.length < asked) return { events, next: cursor, scanned, atHead: true };
  }
  return { events, next: cursor, scanned, atHead: false };
}
