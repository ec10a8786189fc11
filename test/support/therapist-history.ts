import type { TherapistEvent } from '../../domain/therapist/therapist-events.js';

type EventOfType<T extends TherapistEvent['type']> = Extract<TherapistEvent, { type: T }>;

/** A therapist-stream event for a specification's history, typed by its name. */
export function event<T extends TherapistEvent['type']>(type: T, data: EventOfType<T>['data']): TherapistEvent {
  // The union member is rebuilt from its own parts: TypeScript cannot see that through the generic.
  return { type, data } as EventOfType<T>;
}
