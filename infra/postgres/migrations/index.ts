import type { Knex } from 'knex';
import { foundation } from './0001-foundation.js';
import { availability } from './0002-availability.js';
import { booking } from './0003-booking.js';
import { snapshots } from './0004-snapshots.js';
import { paymentDeadlines } from './0005-payment-deadlines.js';
import { personalData } from './0006-personal-data.js';
import { patientProfiles } from './0007-patient-profiles.js';
import { patientStatistics } from './0008-patient-statistics.js';
import { patientNotes } from './0009-patient-notes.js';
import { rolesAndIsolation } from './0010-roles-and-isolation.js';
import { recurrences } from './0011-recurrences.js';
import { integrations } from './0012-integrations.js';
import { writeSideDirectories } from './0013-write-side-directories.js';
import { blueGreenRebuilds } from './0014-blue-green-rebuilds.js';
import { indexesForWhatIsRead } from './0015-indexes-for-what-is-read.js';

export interface Migration {
  readonly name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/** In order; append only. */
export const migrations: readonly Migration[] = [foundation, availability, booking, snapshots, paymentDeadlines, personalData, patientProfiles, patientStatistics, patientNotes, rolesAndIsolation, recurrences, integrations, writeSideDirectories, blueGreenRebuilds, indexesForWhatIsRead];
