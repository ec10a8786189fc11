import type { z } from 'zod';
import type { DomainEvent } from './decider.js';

/**
 * One event type at its current schema version, and how to lift older stored versions to it.
 * `upcasters[n]` turns data written at version n into version n + 1.
 */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly version: number;
  readonly schema: S;
  readonly upcasters?: Readonly<Record<number, (data: unknown) => unknown>>;
}

export function defineEvent<T extends string, S extends z.ZodType>(
  type: T,
  schema: S,
  options: { version?: number; upcasters?: Readonly<Record<number, (data: unknown) => unknown>> } = {},
): EventDefinition<T, S> {
  return { type, schema, version: options.version ?? 1, ...(options.upcasters ? { upcasters: options.upcasters } : {}) };
}

export class EventDecodingFailed extends Error {
  override readonly name = 'EventDecodingFailed';
  constructor(readonly eventType: string, readonly schemaVersion: number, reason: string) {
    super(`Cannot decode ${eventType} v${schemaVersion}: ${reason}`);
  }
}

export interface EncodedEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/**
 * Validates events read back from the store (zod) and upcasts old versions, so the domain only
 * ever sees the current shape. Events of types it does not know are reported as `undefined`:
 * a stream or projection ignores what it does not handle.
 */
export class EventCodec<E extends DomainEvent> {
  private readonly byType: ReadonlyMap<string, EventDefinition>;

  constructor(definitions: readonly EventDefinition[]) {
    this.byType = new Map(definitions.map((d) => [d.type, d]));
  }

  knows(type: string): boolean {
    return this.byType.has(type);
  }

  encode(event: E): EncodedEvent {
    const definition = this.byType.get(event.type);
    if (!definition) throw new EventDecodingFailed(event.type, 0, 'unknown event type');
    return { type: event.type, schemaVersion: definition.version, data: event.data };
  }

  decode(stored: EncodedEvent): E | undefined {
    const definition = this.byType.get(stored.type);
    if (!definition) return undefined;
    let data = stored.data;
    if (stored.schemaVersion > definition.version) {
      throw new EventDecodingFailed(stored.type, stored.schemaVersion, `newer than this code (v${definition.version})`);
    }
    for (let v = stored.schemaVersion; v < definition.version; v++) {
      const upcast = definition.upcasters?.[v];
      if (!upcast) throw new EventDecodingFailed(stored.type, stored.schemaVersion, `no upcaster from v${v}`);
      data = upcast(data);
    }
    const parsed = definition.schema.safeParse(data);
    if (!parsed.success) throw new EventDecodingFailed(stored.type, stored.schemaVersion, parsed.error.message);
    return { type: stored.type, data: parsed.data } as E;
  }
}
