import { createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Queryable } from '../event-store/postgres-event-store-sql.js';
import type { z } from 'zod';
import { bookingContact, type BookingContact, type PatientProfile, type Sealed, type SealedContact } from '../../domain/shared/personal-data.js';
import { decrypt, encrypt } from './aead.js';

const TABLE = 'keys.data_keys';

interface KeyRow {
  key_id: string;
  wrapped: string | null;
}

/** A subject's blind indexes: keyed HMACs of its normalised phone and e-mail, never the values. */
export interface BlindIndexes {
  readonly phone: string;
  readonly email: string;
}

/**
 * Per-subject data keys (AES-256-GCM), each wrapped with the master key, in `keys.data_keys`,
 * outside the event log. A booking request's contact gets a key of its own, linked to the patient
 * once the booking is confirmed; forgetting a patient destroys every key linked to them, and with
 * the key go the blind indexes that let a phone or e-mail find the patient again.
 */
export class KeyStore {
  private readonly wrapKey: Buffer;
  private readonly blindKey: Buffer;
  private readonly fingerprintKey: Buffer;
  private readonly secretKey: Buffer;

  constructor(
    private readonly db: Knex,
    master: Buffer,
    /**
     * Where a request's key is created: a plain pg pool, one prepared statement on the booking path.
     * Its commits may be asynchronous when the events go to the same PostgreSQL (see services.ts).
     */
    private readonly writer: Queryable,
  ) {
    // One purpose per key: wrapping data keys, blind indexes, request fingerprints.
    const derive = (label: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), label, 32));
    this.wrapKey = derive('psicopay data key wrapping v1');
    this.blindKey = derive('psicopay blind index v1');
    this.fingerprintKey = derive('psicopay request fingerprint v1');
    this.secretKey = derive('psicopay derived secrets v1');
  }

  /**
   * A secret every process with the same master key derives alike (the database roles' passwords):
   * nothing to store or distribute, and nothing about the master key in it.
   */
  derivedSecret(purpose: string): string {
    return createHmac('sha256', this.secretKey).update(purpose).digest('base64url');
  }

  /** A keyed hash of a request body (which holds personal data): comparable, not guessable from a copy of the database. */
  fingerprint(value: string): string {
    return createHmac('sha256', this.fingerprintKey).update(value).digest('hex');
  }

  /** Per therapist, so one therapist's index says nothing about another's patients (BR-PP-004). */
  blindIndexes(therapistId: string, contact: Pick<BookingContact, 'phone' | 'email'>): BlindIndexes {
    const index = (kind: string, value: string) => createHmac('sha256', this.blindKey).update(`${therapistId}\u0000${kind}\u0000${value}`).digest('base64url');
    return { phone: index('phone', contact.phone), email: index('email', contact.email) };
  }

  /** Seals a booking request's contact under the request's own key (the same key on a retry of that request). */
  async sealBookingContact(therapistId: string, bookingId: string, contact: BookingContact): Promise<Sealed> {
    return this.seal(`booking:${bookingId}`, therapistId, null, this.blindIndexes(therapistId, contact), contact);
  }

  /**
   * Seals a patient's profile under the patient's own key (created on first use, linked to them at
   * once); its blind indexes are the profile's phone and e-mail (none without an e-mail: it finds no one).
   */
  async sealPatientProfile(therapistId: string, patientId: string, profile: PatientProfile): Promise<Sealed> {
    return this.seal(`patient:${patientId}`, therapistId, patientId, this.blindIndexes(therapistId, { phone: profile.phone, email: profile.email ?? '' }), profile);
  }

  /** The contact a directly registered patient's record starts from, under the patient's own key. */
  async sealPatientContact(therapistId: string, patientId: string, contact: BookingContact): Promise<Sealed> {
    return this.seal(`patient:${patientId}`, therapistId, patientId, this.blindIndexes(therapistId, contact), contact);
  }

  /** Seals a note, preferences or the like under the patient's own key, leaving its blind indexes as they are. */
  async sealForPatient(therapistId: string, patientId: string, value: unknown): Promise<Sealed> {
    return this.seal(`patient:${patientId}`, therapistId, patientId, null, value);
  }

  /** Seals free text about a booking request (a cancellation's reason) under the request's own key. */
  async sealForBooking(therapistId: string, bookingId: string, value: unknown): Promise<Sealed> {
    return this.seal(`booking:${bookingId}`, therapistId, null, null, value);
  }

  /** Seals a therapist's own secret (a calendar grant's refresh token) under a key of theirs for that purpose. */
  async sealForTherapist(therapistId: string, purpose: string, value: unknown): Promise<Sealed> {
    return this.seal(`therapist:${therapistId}:${purpose}`, therapistId, null, null, value);
  }

  /** `blind`: the subject's new indexes; null leaves them as they are. */
  private async seal(subject: string, therapistId: string, patientId: string | null, blind: BlindIndexes | null, value: unknown): Promise<Sealed> {
    const fresh = randomBytes(32);
    const keyId = randomUUID();
    // The same subject keeps its key (a retried request; a profile changed again); its indexes follow the latest value.
    const result = await this.writer.query<KeyRow & { inserted: boolean }>({
      name: 'keys_create_key',
      text: `INSERT INTO ${TABLE} AS k (key_id, subject, therapist_id, patient_id, wrapped, blind_phone, blind_email) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (subject) DO UPDATE SET blind_phone = CASE WHEN k.wrapped IS NULL THEN NULL ELSE COALESCE(EXCLUDED.blind_phone, k.blind_phone) END,
               blind_email = CASE WHEN k.wrapped IS NULL THEN NULL ELSE COALESCE(EXCLUDED.blind_email, k.blind_email) END
             RETURNING k.key_id, k.wrapped, (k.key_id = $1) AS inserted`,
      values: [keyId, subject, therapistId, patientId, encrypt(this.wrapKey, fresh, keyId), blind?.phone ?? null, blind?.email ?? null],
    });
    const row = result.rows[0];
    if (!row?.wrapped) throw new Error(`The data key of ${subject.split(':')[0] ?? 'this subject'} was destroyed`);
    const key = row.inserted ? fresh : this.unwrap(row);
    return { keyId: row.key_id, ciphertext: encrypt(key, Buffer.from(JSON.stringify(value), 'utf8'), row.key_id) };
  }

  /** The blind indexes kept with a key; undefined once it was destroyed. */
  async blindIndexesOf(keyId: string): Promise<BlindIndexes | undefined> {
    const row = (await this.db(TABLE).select('blind_phone', 'blind_email').where({ key_id: keyId }).whereNotNull('wrapped').first()) as { blind_phone: string | null; blind_email: string | null } | undefined;
    return row?.blind_phone && row.blind_email ? { phone: row.blind_phone, email: row.blind_email } : undefined;
  }

  /**
   * Opens sealed contacts, in one query for the whole batch (a projection passes its transaction).
   * A contact whose key was destroyed opens as null: the person was forgotten.
   */
  async openContacts(values: readonly SealedContact[], db: Knex | Knex.Transaction = this.db): Promise<(BookingContact | null)[]> {
    return this.open(values, bookingContact, db);
  }

  /** Opens sealed values of one schema (see openContacts); legacy plaintext ones come back as they are. */
  async open<T>(values: readonly (Sealed | { legacy: T })[], schema: z.ZodType<T>, db: Knex | Knex.Transaction = this.db): Promise<(T | null)[]> {
    const ids = [...new Set(values.flatMap((v) => ('keyId' in v ? [v.keyId] : [])))];
    const rows = ids.length === 0 ? [] : ((await db(TABLE).select('key_id', 'wrapped').whereIn('key_id', ids)) as KeyRow[]);
    const keys = new Map(rows.map((r) => [r.key_id, r.wrapped === null ? null : this.unwrap(r)]));
    return values.map((value) => {
      if ('legacy' in value) return value.legacy;
      const key = keys.get(value.keyId);
      // A destroyed key is a forgotten person; a missing one is a fault, never mistaken for forgetting.
      if (key === undefined) throw new Error(`Data key ${value.keyId} is missing from the key store`);
      if (key === null) return null;
      return schema.parse(JSON.parse(decrypt(key, value.ciphertext, value.keyId).toString('utf8')));
    });
  }

  async linkToPatient(keyId: string, patientId: string): Promise<void> {
    await this.db(TABLE).where({ key_id: keyId }).whereNull('patient_id').update({ patient_id: patientId });
  }

  /**
   * Crypto-shredding: every key linked to the patient, and every key of the same therapist's requests
   * that carry the patient's phone or e-mail (requests never confirmed, so never linked), loses its key
   * material and blind indexes. Answers the booking ids whose contact is gone.
   */
  async destroyForPatient(therapistId: string, patientId: string): Promise<string[]> {
    await this.db.raw(
      `WITH theirs AS (SELECT blind_phone, blind_email FROM ${TABLE} WHERE patient_id = ? AND wrapped IS NOT NULL)
       UPDATE ${TABLE} k SET wrapped = NULL, blind_phone = NULL, blind_email = NULL, destroyed_at = now(), destroyed_for = ?
       WHERE k.wrapped IS NOT NULL
         AND (k.patient_id = ? OR (k.patient_id IS NULL AND k.therapist_id = ? AND (k.blind_phone IN (SELECT blind_phone FROM theirs) OR k.blind_email IN (SELECT blind_email FROM theirs))))`,
      [patientId, patientId, patientId, therapistId],
    );
    // Everything destroyed for them, now or by an earlier try: a retried forget names the same requests.
    const rows = (await this.db(TABLE).select('subject').where({ destroyed_for: patientId })) as { subject: string }[];
    return rows.flatMap((r) => (r.subject.startsWith('booking:') ? [r.subject.slice('booking:'.length)] : [])).sort();
  }

  /** A booking request that was refused, and is not in its stream, never used its key. */
  async discardBookingKey(bookingId: string): Promise<void> {
    await this.db(TABLE).where({ subject: `booking:${bookingId}` }).whereNull('patient_id').delete();
  }

  private unwrap(row: KeyRow): Buffer {
    if (row.wrapped === null) throw new Error(`Data key ${row.key_id} was destroyed`);
    return decrypt(this.wrapKey, row.wrapped, row.key_id);
  }
}
