import type { Knex } from 'knex';
import type { BookingContact, SealedContact } from '../domain/shared/personal-data.js';

/**
 * Opens the sealed contacts of a batch inside the projection's transaction (one key-store query);
 * null for a contact whose key was destroyed: the person was forgotten, in a live run and in any
 * later rebuild alike.
 */
export type ContactOpener = (trx: Knex.Transaction, values: readonly SealedContact[]) => Promise<(BookingContact | null)[]>;
