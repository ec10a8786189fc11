import type { EventStore, ReplayPage, ReplayReadOptions } from './event-store.js';

/**
 * A replay's page from any store: the store's own filtered read where it has one, else a readAll
 * page filtered here (its last event is how far the read looked, whatever its type).
 */
export async function readForReplay(store: EventStore, options: ReplayReadOptions): Promise<ReplayPage> {
  if (store.readForReplay) return store.readForReplay(options);
  const page = await store.readAll({ after: options.after, maxCount: options.maxCount });
  const types = new Set(options.types);
  // An empty page is the only sure end: a store may return a short page before it (one that skips its own system events).
  return { events: page.filter((e) => types.has(e.type)), through: page.at(-1)?.position ?? options.after, end: page.length === 0 };
}
