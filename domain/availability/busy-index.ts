import type { BusyInterval } from './availability-types.js';

/** How an interval relates to the calendar's busy time. */
export type BusyRelation =
  /** Overlaps a session. */
  | 'booked'
  /** Overlaps a live hold (and no session). */
  | 'locked'
  /** Overlaps nothing itself, but its buffers collide with a session's or hold's buffers. */
  | 'too_close'
  | 'free';

/**
 * Busy intervals parsed to epoch milliseconds and sorted by start, with holds that no longer block
 * at `now` dropped. A lookup binary-searches to the only intervals that can matter instead of
 * scanning every booking for every slot.
 */
export class BusyIndex {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly isSession: boolean[] = [];
  private readonly longest: number;

  constructor(busy: readonly BusyInterval[], nowMs: number) {
    const live: { start: number; end: number; session: boolean }[] = [];
    for (const item of busy) {
      if (item.kind === 'hold' && item.expiresAt !== null && !(Date.parse(item.expiresAt) > nowMs)) continue;
      const start = Date.parse(item.startsAt);
      const end = Date.parse(item.endsAt);
      if (Number.isFinite(start) && Number.isFinite(end) && end > start) live.push({ start, end, session: item.kind === 'session' });
    }
    live.sort((a, b) => a.start - b.start);
    let longest = 0;
    for (const { start, end, session } of live) {
      this.starts.push(start);
      this.ends.push(end);
      this.isSession.push(session);
      longest = Math.max(longest, end - start);
    }
    this.longest = longest;
  }

  /**
   * Relation of [start, end) to the busy time, where two intervals are too close when their padded
   * versions [start − before, end + after) overlap: the gap between them must hold one's after-buffer
   * and the other's before-buffer.
   */
  relate(start: number, end: number, bufferBeforeMs: number, bufferAfterMs: number): BusyRelation {
    const pad = bufferBeforeMs + bufferAfterMs;
    // A busy interval matters iff busyStart < end + pad and busyEnd > start − pad; since
    // busyEnd ≤ busyStart + longest, every such interval starts after start − pad − longest.
    let i = this.firstStartingAfter(start - pad - this.longest);
    let relation: BusyRelation = 'free';
    for (; i < this.starts.length; i++) {
      const busyStart = this.starts[i] ?? Infinity;
      if (busyStart >= end + pad) break;
      if ((this.ends[i] ?? -Infinity) <= start - pad) continue;
      if (busyStart < end && start < (this.ends[i] ?? -Infinity)) {
        if (this.isSession[i]) return 'booked';
        relation = 'locked';
      } else if (relation === 'free') {
        relation = 'too_close';
      }
    }
    return relation;
  }

  private firstStartingAfter(bound: number): number {
    let low = 0;
    let high = this.starts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.starts[mid] ?? Infinity) <= bound) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
