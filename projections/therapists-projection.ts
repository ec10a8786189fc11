import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { handledEvents, LIVE_TABLES, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = ['TherapistRegistered'] as const satisfies readonly TherapistEvent['type'][];

/** read.therapists: public profile facts, one row per therapist. */
export function therapistsProjection(shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'therapists',
    handles: HANDLES,
    tables: ['read.therapists'],
    async apply(trx, events, target = LIVE_TABLES) {
      const therapists = new TableBuffer(trx, target, 'read.therapists', ['id'], shapes);
      for (const { event, streamRevision } of handledEvents<TherapistEvent, (typeof HANDLES)[number]>(events, HANDLES)) {
        const d = event.data;
        therapists.insert({ id: d.therapistId, name: d.name, slug: d.slug, email: d.email, timezone: d.timezone, session_price: d.sessionPrice, currency: d.currency, registered_at: d.registeredAt, stream_revision: streamRevision });
      }
      await therapists.flush();
    },
  };
}
