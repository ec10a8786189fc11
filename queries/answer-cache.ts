/**
 * Computed availability answers of this process, as ready-to-send JSON, each valid until the first
 * instant its slots' statuses could change (see calendarValidUntil) and only for the calendar
 * revision it was computed from (part of the key). Bounded, least recently used first out.
 */
export class AnswerCache {
  private readonly entries = new Map<string, { readonly json: string; readonly validUntil: number }>();

  constructor(
    private readonly maxEntries = 2000,
    /** Told of each lookup's outcome (the metrics' hit rate). */
    private readonly onLookup?: (hit: boolean) => void,
  ) {}

  get(key: string, nowMs: number): string | undefined {
    const json = this.lookup(key, nowMs);
    this.onLookup?.(json !== undefined);
    return json;
  }

  private lookup(key: string, nowMs: number): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (nowMs >= entry.validUntil) return undefined;
    this.entries.set(key, entry);
    return entry.json;
  }

  set(key: string, json: string, validUntil: number): void {
    this.entries.delete(key);
    this.entries.set(key, { json, validUntil });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
