import type { Knex } from 'knex';
import type { TherapistCommand } from '../domain/therapist/therapist-commands.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import type { TherapistState } from '../domain/therapist/therapist-state.js';
import type { Clock } from '../infra/clock.js';
import type { CommandHandler } from './command-handler.js';

/** What use cases need: the stream handlers, the clock, and the database for non-event-sourced bits. */
export interface CommandContext {
  readonly therapists: CommandHandler<TherapistCommand, TherapistState, TherapistEvent>;
  readonly clock: Clock;
  readonly db: Knex;
}
