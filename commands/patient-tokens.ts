import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashToken } from '../infra/http/auth.js';

/**
 * The secret a patient gets with a booking (to cancel it, or fetch its calendar file). Derived from
 * the booking id with a server secret, so it is never stored: events keep only its sha256, and a
 * replayed idempotent answer can hand the same token out again.
 */
export class PatientTokens {
  constructor(private readonly secret: string) {}

  static async load(db: Knex): Promise<PatientTokens> {
    await db('app.secrets').insert({ name: 'patient-tokens', value: randomBytes(32).toString('base64url') }).onConflict('name').ignore();
    const row = await db<{ value: string }>('app.secrets').where('name', 'patient-tokens').first();
    if (!row) throw new Error('The patient token secret could not be stored');
    return new PatientTokens(row.value);
  }

  tokenFor(bookingId: string): string {
    return `pt_${createHmac('sha256', this.secret).update(bookingId).digest('base64url')}`;
  }

  hashOf(token: string): string {
    return hashToken(token);
  }
}
