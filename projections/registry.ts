import type { DomainEvent } from '../domain/shared/decider.js';
import { calendarConnectionCodec, integrationEventCodec } from '../domain/integrations/integration-events.js';
import { patientEventCodec } from '../domain/patient/patient-events.js';
import { therapistEventCodec } from '../domain/therapist/therapist-events.js';
import type { EncodedEvent } from '../domain/shared/event-codec.js';
import type { PersonalDataOpener } from './personal-data-opener.js';
import type { Projection } from './projection.js';
import { availabilityProjection } from './availability-projection.js';
import { bookingsProjection } from './bookings-projection.js';
import { patientNotesProjection } from './patient-notes-projection.js';
import { patientsProjection } from './patients-projection.js';
import { TableShapes } from './table-buffer.js';
import { notificationsProjection } from './notifications-projection.js';
import { therapistsProjection } from './therapists-projection.js';

/** Every read model the service maintains, in no particular order; `open` unseals personal data for those that show it. */
export function createProjections(open: PersonalDataOpener): readonly Projection[] {
  const shapes = new TableShapes();
  return [therapistsProjection(shapes), availabilityProjection(shapes), bookingsProjection(open, shapes), patientsProjection(open, shapes), patientNotesProjection(open, shapes), notificationsProjection(shapes)];
}

const codecs = [therapistEventCodec, patientEventCodec, integrationEventCodec, calendarConnectionCodec];

/** Decodes any known event (zod-validated, upcast to the current version); undefined when unknown. */
export function decodeEvent(stored: EncodedEvent): DomainEvent | undefined {
  for (const codec of codecs) {
    if (codec.knows(stored.type)) return codec.decode(stored);
  }
  return undefined;
}
