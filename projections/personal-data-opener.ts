import type { Knex } from 'knex';
import type { z } from 'zod';
import type { Sealed } from '../domain/shared/personal-data.js';

/**
 * Opens the sealed personal data of a batch inside the projection's transaction (one key-store
 * query), parsed with `schema`; null for a value whose key was destroyed: the person was forgotten,
 * in a live run and in any later rebuild alike.
 */
export interface PersonalDataOpener {
  open<T>(trx: Knex.Transaction, values: readonly (Sealed | { readonly legacy: T })[], schema: z.ZodType<T>): Promise<(T | null)[]>;
}
