import type { Knex } from 'knex';
import type { BookingContact, PatientProfile, Sealed, SealedContact } from '../domain/shared/personal-data.js';

/**
 * Opens the sealed personal data of a batch inside the projection's transaction (one key-store
 * query a kind); null for a value whose key was destroyed: the person was forgotten, in a live run
 * and in any later rebuild alike.
 */
export interface PersonalDataOpener {
  contacts(trx: Knex.Transaction, values: readonly SealedContact[]): Promise<(BookingContact | null)[]>;
  profiles(trx: Knex.Transaction, values: readonly Sealed[]): Promise<(PatientProfile | null)[]>;
}
