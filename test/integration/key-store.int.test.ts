import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../../infra/crypto/key-store.js';
import { loadMasterKey } from '../../infra/crypto/master-key.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';
import { createTestDatabase } from '../support/database.js';

const ANA = { name: 'Ana Sellada', email: 'ana.sellada@example.com', phone: '+5491155556666', reasonForConsultation: 'Algo privado' };

/** The key store on real PostgreSQL: data keys wrapped by the master key, destroyed by forgetting. */
describe('Key store', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Knex;
  let pool: pg.Pool;
  const master = randomBytes(32);
  const keyStore = (withMaster = master) => new KeyStore(db, withMaster, pool);
  beforeAll(async () => {
    database = await createTestDatabase('keys');
    db = createKnex(database.url, 2);
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await pool.end();
    await db.destroy();
    await database.drop();
  });

  it('seals a contact under the booking\'s own key and opens it again; the same booking reuses its key', async () => {
    const keys = keyStore();
    const bookingId = randomUUID();
    const sealed = await keys.sealBookingContact(randomUUID(), bookingId, ANA);
    expect(JSON.stringify(sealed)).not.toContain('Ana');
    expect(await keys.openContacts([sealed])).toEqual([ANA]);
    const again = await keys.sealBookingContact(randomUUID(), bookingId, ANA);
    expect(again.keyId).toBe(sealed.keyId);
    expect(again.ciphertext).not.toBe(sealed.ciphertext);
  });

  it('reveals nothing with the database alone: another master key cannot unwrap the data keys', async () => {
    const sealed = await keyStore().sealBookingContact(randomUUID(), randomUUID(), ANA);
    await expect(keyStore(randomBytes(32)).openContacts([sealed])).rejects.toThrow();
    const stored = await db('keys.data_keys').where({ key_id: sealed.keyId }).first<{ wrapped: string }>();
    expect(stored.wrapped).not.toContain(master.toString('base64'));
  });

  it('destroys every key linked to a forgotten patient, with its blind indexes; their contacts open as null', async () => {
    const keys = keyStore();
    const therapistId = randomUUID();
    const patientId = randomUUID();
    const [firstBooking, secondBooking, unconfirmedBooking] = [randomUUID(), randomUUID(), randomUUID()];
    const first = await keys.sealBookingContact(therapistId, firstBooking, ANA);
    const second = await keys.sealBookingContact(therapistId, secondBooking, { ...ANA, phone: '+5491100000009' });
    // Never confirmed, so never linked: found by the patient's e-mail.
    const unconfirmed = await keys.sealBookingContact(therapistId, unconfirmedBooking, { ...ANA, phone: '+5491100000008' });
    const someoneElse = await keys.sealBookingContact(therapistId, randomUUID(), { ...ANA, phone: '+5491100000007', email: 'otra@example.com' });
    const otherTherapist = await keys.sealBookingContact(randomUUID(), randomUUID(), ANA);
    await keys.linkToPatient(first.keyId, patientId);
    await keys.linkToPatient(second.keyId, patientId);
    expect(await keys.blindIndexesOf(first.keyId)).toEqual(keys.blindIndexes(therapistId, ANA));
    expect((await keys.destroyForPatient(therapistId, patientId)).sort()).toEqual([firstBooking, secondBooking, unconfirmedBooking].sort());
    expect(await keys.openContacts([first, second, unconfirmed, someoneElse, otherTherapist])).toEqual([null, null, null, { ...ANA, phone: '+5491100000007', email: 'otra@example.com' }, ANA]);
    expect(await keys.blindIndexesOf(first.keyId)).toBeUndefined();
  });

  it('never destroys another patient\'s key, even one that shares the forgotten patient\'s e-mail', async () => {
    const keys = keyStore();
    const therapistId = randomUUID();
    const [ana, bea] = [randomUUID(), randomUUID()];
    const anas = await keys.sealBookingContact(therapistId, randomUUID(), ANA);
    // Bea booked with Ana's e-mail (a shared family address) and was matched to herself by phone.
    const beas = await keys.sealBookingContact(therapistId, randomUUID(), { ...ANA, name: 'Bea', phone: '+5491100000006' });
    await keys.linkToPatient(anas.keyId, ana);
    await keys.linkToPatient(beas.keyId, bea);
    await keys.destroyForPatient(therapistId, ana);
    expect(await keys.openContacts([anas, beas])).toEqual([null, { ...ANA, name: 'Bea', phone: '+5491100000006' }]);
  });

  it('names the same requests when a forgetting is retried', async () => {
    const keys = keyStore();
    const [therapistId, patientId, bookingId] = [randomUUID(), randomUUID(), randomUUID()];
    await keys.linkToPatient((await keys.sealBookingContact(therapistId, bookingId, ANA)).keyId, patientId);
    expect(await keys.destroyForPatient(therapistId, patientId)).toEqual([bookingId]);
    expect(await keys.destroyForPatient(therapistId, patientId)).toEqual([bookingId]);
  });

  it('indexes a phone per therapist: the same phone says nothing across therapists', () => {
    const keys = keyStore();
    const [a, b] = [keys.blindIndexes(randomUUID(), ANA), keys.blindIndexes(randomUUID(), ANA)];
    expect(a.phone).not.toBe(b.phone);
    expect(a.phone).not.toContain('5491155556666');
  });

  it('generates the embedded master key once, in the data folder, readable by its owner only', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'psicopay-keys-'));
    chmodSync(dir, 0o755);
    try {
      const first = loadMasterKey(undefined, dir);
      expect(loadMasterKey(undefined, dir).equals(first)).toBe(true);
      expect(statSync(path.join(dir, 'secrets', 'data-encryption.key')).mode & 0o777).toBe(0o600);
      expect(loadMasterKey(first.toString('base64'), '/nonexistent').equals(first)).toBe(true);
      expect(() => loadMasterKey('too-short', dir)).toThrow(/32 bytes in base64/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
