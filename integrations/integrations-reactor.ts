import { handledEvents, type Projection } from '../projections/projection.js';
import { PLANNED_EVENT_TYPES, planFor, type PlannedEvent } from './dispatch-plan.js';
import { applyChanges } from './outbox.js';

export const INTEGRATIONS_REACTOR = 'reactor:integrations';

const THERAPIST_STREAM = /^therapist-(.+)$/;

/**
 * The integrations reactor: follows the log with its own checkpoint and turns what happened on the
 * therapist streams into rows of the outbox, in the transaction that moves that checkpoint. It makes
 * no call itself (the dispatcher does, after the commit), so no transaction is ever held open across
 * the network. Run by a ProjectionRunner of its own: a rebuild of the read models never replays it,
 * and a replay of it changes nothing (the outbox keys are unique).
 */
export function integrationsReactor(): Projection {
  return {
    name: INTEGRATIONS_REACTOR,
    handles: PLANNED_EVENT_TYPES,
    tables: [],
    async apply(trx, events) {
      for (const projected of handledEvents<PlannedEvent, PlannedEvent['type']>(events, PLANNED_EVENT_TYPES)) {
        const therapistId = THERAPIST_STREAM.exec(projected.streamId)?.[1];
        if (!therapistId) continue;
        await applyChanges(trx, planFor(therapistId, projected.event));
      }
    },
  };
}
