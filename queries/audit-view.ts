import { z } from 'zod';
import { sealed, type Sealed } from '../domain/shared/personal-data.js';
import type { KeyStore } from '../infra/crypto/key-store.js';
import type { Actor, RecordedEvent } from '../infra/event-store/event-store.js';
import type { Logger } from '../infra/logging/logger.js';

/**
 * A sealed value as an auditor sees it: opened while its key lives, `forgotten` once the key was
 * destroyed (the person asked to be forgotten), `withheld` where it is a therapist's secret rather
 * than personal data, `unreadable` when its key cannot open it (a fault, logged; never mistaken for
 * forgetting).
 */
export type AuditedSealedValue =
  | { readonly sealed: true; readonly value: unknown }
  | { readonly sealed: true; readonly forgotten: true }
  | { readonly sealed: true; readonly withheld: true }
  | { readonly sealed: true; readonly unreadable: true };

export interface AuditEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: number;
  /** `commit:prepare`: where the event stands in the whole log (the cursor of the history's pages). */
  readonly position: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** When the store recorded it (the store's clock). */
  readonly recordedAt: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: unknown;
}

/**
 * Personal data of patients lives sealed on these streams only. Elsewhere (`calendar-{id}`: a Google
 * grant's refresh token) a sealed value is a credential, which no auditor needs to read.
 */
const PERSONAL_DATA_STREAMS = /^(therapist|patient)-/;

export function positionText(event: Pick<RecordedEvent, 'position'>): string {
  return `${event.position.commit}:${event.position.prepare}`;
}

/** Events with their metadata, sealed values opened as still decryptable (one key-store query per page). */
export async function auditViews(keys: KeyStore, logger: Logger, events: readonly RecordedEvent[]): Promise<AuditEvent[]> {
  const found: Sealed[] = [];
  for (const event of events) if (PERSONAL_DATA_STREAMS.test(event.streamId)) collectSealed(event.data, found);
  const opened = await openEach(keys, logger, found);
  return events.map((event) => ({
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.streamRevision,
    position: positionText(event),
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.recordedAt.toISOString(),
    actor: event.metadata.actor,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    data: replaceSealed(event.data, PERSONAL_DATA_STREAMS.test(event.streamId) ? opened : null),
  }));
}

function asSealed(value: unknown): Sealed | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length !== 2) return undefined;
  const parsed = sealed.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function collectSealed(value: unknown, into: Sealed[]): void {
  const found = asSealed(value);
  if (found) into.push(found);
  else if (Array.isArray(value)) for (const item of value) collectSealed(item, into);
  else if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) collectSealed(inner, into);
}

/** `opened` by ciphertext (unique per sealing); null: withhold every sealed value. */
function replaceSealed(value: unknown, opened: ReadonlyMap<string, AuditedSealedValue> | null): unknown {
  const found = asSealed(value);
  if (found) return opened?.get(found.ciphertext) ?? { sealed: true, withheld: true };
  if (Array.isArray(value)) return value.map((item) => replaceSealed(item, opened));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, replaceSealed(inner, opened)]));
  return value;
}

async function openEach(keys: KeyStore, logger: Logger, values: readonly Sealed[]): Promise<Map<string, AuditedSealedValue>> {
  const result = new Map<string, AuditedSealedValue>();
  if (values.length === 0) return result;
  const shown = (value: unknown): AuditedSealedValue => (value === null ? { sealed: true, forgotten: true } : { sealed: true, value });
  try {
    const opened = await keys.open(values, z.unknown());
    values.forEach((v, i) => result.set(v.ciphertext, shown(opened[i] ?? null)));
    return result;
  } catch {
    // One value the batch could not open (a missing key) must not hide the others: one at a time.
    for (const value of values) {
      try {
        const [one] = await keys.open([value], z.unknown());
        result.set(value.ciphertext, shown(one ?? null));
      } catch (error) {
        logger.warn({ keyId: value.keyId, error: error instanceof Error ? error.name : 'unknown' }, 'audit: a sealed value could not be opened');
        result.set(value.ciphertext, { sealed: true, unreadable: true });
      }
    }
    return result;
  }
}
