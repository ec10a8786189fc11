import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { createTestDatabase } from '../support/database.js';
import { startTestService } from '../support/service.js';

/** Given a history made before the integrations ran, when they start, then they act on what comes next only. */
describe('The integrations reactor deployed onto an existing history', () => {
  it('starts at the head: nothing is sent for bookings made before it ran, a new booking gets its calls', async () => {
    const database = await createTestDatabase('deploy');
    const clock = new ManualClock(MONDAY_8AM);
    try {
      const before = await startTestService({ clock, databaseUrl: database.url, env: { INTEGRATIONS_ENABLED: 'false' } });
      const therapist = await openTherapist(before);
      const old = await before.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '09:00', { paymentMethod: 'mercadopago' }) });
      expect(old.status).toBe(201);
      await before.close();

      const after = await startTestService({ clock, databaseUrl: database.url });
      try {
        const fresh = await after.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', { paymentMethod: 'mercadopago' }) });
        expect(fresh.status).toBe(201);
        const keys = async () => ((await after.services.db('app.integration_dispatches').select('key').orderBy('key')) as { key: string }[]).map((r) => r.key);
        await expect.poll(keys, { timeout: 20_000 }).toEqual([`mercadopago:preference:booking:${String(fresh.json.id)}`]);
      } finally {
        await after.close();
      }
    } finally {
      await database.drop();
    }
  });
});
