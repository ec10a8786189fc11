import type { Knex } from 'knex';
import { NotFound } from '../domain/shared/domain-error.js';

export interface PublicTherapistProfile {
  readonly id: string;
  readonly name: string;
  readonly slug: string;
  readonly timezone: string;
  readonly sessionPrice: number;
  readonly currency: string;
}

interface TherapistRow {
  id: string;
  name: string;
  slug: string;
  timezone: string;
  session_price: string;
  currency: string;
}

/** The public face of a therapist: no e-mail or other contact data. */
export async function publicTherapistProfile(db: Knex, slug: string): Promise<PublicTherapistProfile> {
  const row = await db<TherapistRow>('read.therapists').select('id', 'name', 'slug', 'timezone', 'session_price', 'currency').where('slug', slug).first();
  if (!row) throw new NotFound('therapist', slug);
  return { id: row.id, name: row.name, slug: row.slug, timezone: row.timezone, sessionPrice: Number(row.session_price), currency: row.currency };
}
