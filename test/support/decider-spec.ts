import { expect } from 'vitest';
import { fold, type Decider, type DomainEvent } from '../../domain/shared/decider.js';

/**
 * Given / when / then for deciders: the history is folded with the decider's own evolve, the command
 * is decided against that state, and the outcome is compared with what the specification expects.
 *
 *   specOf(therapistDecider).given([registered]).when(defineMonday).then([scheduleDefined]);
 *   specOf(therapistDecider).given([registered]).when(badSchedule).thenThrows(ValidationFailed, { issues: [...] });
 *
 * Everything is synchronous: never `await` (or return from a test) the result of `when`, whose
 * `then` would make it look like a promise.
 */

/** A class of error, abstract or not: only its instances matter. */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Some of an error's own fields, each matched as `toMatchObject` does (asymmetric matchers welcome). */
export type ErrorShape<E> = { readonly [K in keyof E]?: unknown };

/** Optional round trip of every emitted event through the stream's codec (its zod schema). */
export interface EventRoundTrip<E extends DomainEvent, Stored> {
  encode(event: E): Stored;
  decode(stored: Stored): E | undefined;
}

export interface DeciderSpec<C, S, E extends DomainEvent> {
  given(events: readonly E[]): GivenSpec<C, S, E>;
}

export interface GivenSpec<C, S, E extends DomainEvent> {
  /** The state the history folds to, for specifications about evolve itself. */
  readonly state: S;
  when(command: C): WhenSpec<E>;
}

export interface WhenSpec<E extends DomainEvent> {
  /** The command is accepted and yields exactly these events (an empty list: accepted, nothing changes). */
  then(expected: readonly E[]): void;
  /** The command is rejected with an instance of `type` whose fields match `shape`; returns the error for further checks. */
  thenThrows<X extends Error>(type: ErrorClass<X>, shape?: ErrorShape<X>): X;
  /** The events the command yields, for specifications that look at a few fields only. */
  events(): readonly E[];
}

export function specOf<C, S, E extends DomainEvent, Stored = unknown>(decider: Decider<C, S, E>, codec?: EventRoundTrip<E, Stored>): DeciderSpec<C, S, E> {
  return {
    given(history) {
      const state = fold(decider, history);
      return {
        state,
        when(command) {
          const decide = (): readonly E[] => {
            const events = decider.decide(command, state);
            if (codec) for (const event of events) expectRoundTrip(codec, event);
            return events;
          };
          return {
            then(expected) {
              expect(decide()).toEqual(expected);
            },
            thenThrows<X extends Error>(type: ErrorClass<X>, shape?: ErrorShape<X>): X {
              let outcome: { readonly threw: true; readonly error: unknown } | { readonly threw: false; readonly events: readonly E[] };
              try {
                outcome = { threw: false, events: decider.decide(command, state) };
              } catch (error: unknown) {
                outcome = { threw: true, error };
              }
              if (!outcome.threw) {
                expect.fail(`Expected the command to be rejected with ${type.name}, but it yielded ${JSON.stringify(outcome.events)}`);
              }
              const error = outcome.error;
              expect(error).toBeInstanceOf(type);
              if (shape !== undefined) expect(error).toMatchObject(shape);
              return error as X;
            },
            events: decide,
          };
        },
      };
    },
  };
}

/** Stored as JSON, read back through the schema: what a reader of the stream will see. */
function expectRoundTrip<E extends DomainEvent, Stored>(codec: EventRoundTrip<E, Stored>, event: E): void {
  const stored = JSON.parse(JSON.stringify(codec.encode(event))) as Stored;
  expect(codec.decode(stored), `${event.type} must survive its codec unchanged`).toEqual(event);
}
