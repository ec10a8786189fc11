/**
 * Folded stream states saved now and then, so a cold process (a restart, a second instance, a
 * stream evicted from the cache) folds only the events after the snapshot, however long the stream.
 * A snapshot is derived data: losing one costs a longer fold, never a wrong decision.
 */
export interface SnapshotStore {
  /** `eventId`: the id of the event at `revision`, when the snapshot recorded it. */
  load(streamId: string, stateVersion: string): Promise<{ revision: number; state: unknown; eventId: string | undefined } | undefined>;
  save(streamId: string, stateVersion: string, revision: number, state: unknown, eventId: string | undefined): Promise<void>;
  /** Drops the stream's snapshot: it was ahead of the store, or of another history. */
  discard(streamId: string): Promise<void>;
}

export interface SnapshotPolicy<State> {
  readonly store: SnapshotStore;
  /**
   * Names the state's shape: bump it whenever evolve or the state type changes, and older
   * snapshots are ignored (the stream is folded from the start, then snapshotted anew).
   */
  readonly stateVersion: string;
  /** Take a snapshot once this many events were appended since the last one. */
  readonly every: number;
  /** The state back from its JSON form; the state must survive JSON.stringify/parse unchanged. */
  readonly revive: (json: unknown) => State;
}
