import { get } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COMPRESSION_THRESHOLD_BYTES } from '../../src/http/app.js';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The bytes as they came over the wire, not decoded (fetch would gunzip them out of sight). */
  readonly bytes: Buffer;
}

function rawGet(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Spec 8.2: answers are gzip-compressed for clients that accept it, and only when that pays. */
describe('Compressed answers', () => {
  const running = useTestService({ now: MONDAY_8AM });
  const openAllWeek = async () => {
    const therapist = await aTherapist(running.service.services);
    const rules = [0, 1, 2, 3, 4, 5, 6].map((dayOfWeek) => ({ dayOfWeek, startTime: '08:00', endTime: '20:00' }));
    expect((await running.service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
    return therapist;
  };

  it('gzips a month of availability for a client that accepts gzip (Brotli for one that takes it), and sends it plain to one that does not', async () => {
    const therapist = await openAllWeek();
    const url = `${running.service.baseUrl}/api/public/availability?therapistId=${therapist.id}&start=2027-03-02&end=2027-03-31`;

    const zipped = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
    const json = gunzipSync(zipped.bytes).toString('utf8');
    expect(JSON.parse(json)).toMatchObject({ therapistId: therapist.id, start: '2027-03-02', end: '2027-03-31' });
    // Thirty days of slots repeat themselves: gzip takes them to a fraction.
    expect(zipped.bytes.length).toBeLessThan(json.length / 4);

    // A browser that also takes Brotli (all do over HTTPS) gets it: smaller still, at gzip's cost (quality 4).
    const brotli = await rawGet(url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(brotli.headers['content-encoding']).toBe('br');
    const days = (JSON.parse(json) as { days: unknown }).days;
    expect(JSON.parse(brotliDecompressSync(brotli.bytes).toString('utf8'))).toMatchObject({ days });

    const plain = await rawGet(url, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.bytes.toString('utf8'))).toMatchObject({ therapistId: therapist.id, days });
    const none = await rawGet(url, {});
    expect(none.headers['content-encoding']).toBeUndefined();
  });

  it("gzips a therapist's booking pipeline, and leaves a small answer under the threshold as it is", async () => {
    // A small answer: compressing it would cost more than it saves.
    const health = await rawGet(`${running.service.baseUrl}/health`, { 'accept-encoding': 'gzip' });
    expect(health.bytes.length).toBeLessThan(COMPRESSION_THRESHOLD_BYTES);
    expect(health.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(health.bytes.toString('utf8'))).toEqual({ status: 'ok' });

    // A therapist's own list: the pipeline of a week of bookings, over the threshold.
    const therapist = await openAllWeek();
    const times = ['08:00', '09:00', '10:00', '11:00', '12:00', '13:00', '14:00', '15:00'];
    for (const [i, time] of times.entries()) {
      const booked = await running.service.request('POST', '/api/public/bookings', {
        body: { therapistId: therapist.id, patientName: `Paciente ${i}`, patientEmail: `p${i}@example.com`, patientPhone: `+5491100000${String(i).padStart(3, '0')}`, requestedDate: '2027-03-02', requestedTime: time, paymentMethod: 'bank_transfer' },
      });
      expect(booked.status).toBe(201);
    }
    const pipeline = () => rawGet(`${running.service.baseUrl}/api/bookings`, { 'accept-encoding': 'gzip', authorization: `Bearer ${therapist.token}` });
    await expect.poll(async () => (JSON.parse(gunzipSync((await pipeline()).bytes).toString('utf8')) as { bookings: unknown[] }).bookings.length).toBe(times.length);
    const list = await pipeline();
    expect(list.status).toBe(200);
    expect(list.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(list.bytes).length).toBeGreaterThan(COMPRESSION_THRESHOLD_BYTES);
  });
});
