import { defineWeeklySchedule, type WeeklyBlock } from '../commands/availability.js';
import { systemCaller } from '../commands/caller.js';
import { registerTherapist } from '../commands/register-therapist.js';
import { requireRegistered } from '../domain/therapist/registered.js';
import { therapistStream } from '../domain/therapist/streams.js';
import { issueTherapistCredential, revokeTherapistCredential } from '../commands/credentials.js';
import type { Services } from './services.js';

export const DEMO_SLUG = 'demo';

/** A realistic week, so the first availability query a newcomer makes shows bookable slots: Monday to Friday, 09:00–12:00 and 14:00–18:00. */
export const DEMO_WEEK: readonly WeeklyBlock[] = [1, 2, 3, 4, 5].flatMap((dayOfWeek) => [
  { dayOfWeek, startTime: '09:00', endTime: '12:00' },
  { dayOfWeek, startTime: '14:00', endTime: '18:00' },
]);

/**
 * A therapist a newcomer can book against at once. Registered on first start, with DEMO_WEEK as
 * its schedule (also given to a demo left without any by an older version); each start issues a
 * fresh token (tokens are stored hashed, so an old one cannot be shown again).
 */
export async function seedDemoTherapist(services: Services): Promise<{ id: string; slug: string; token: string; created: boolean }> {
  const existing = await services.db<{ therapist_id: string; slug: string }>('app.therapist_slugs').where('slug', DEMO_SLUG).first();
  const seeded = existing
    ? { id: existing.therapist_id, token: await reissueToken(services, existing.therapist_id), created: false }
    : {
        ...(await registerTherapist(
          services,
          { name: 'Lic. María Demo', slug: DEMO_SLUG, email: 'demo@psicopay.example', timezone: services.config.defaultTimezone, sessionPrice: 15000 },
          { kind: 'system', job: 'demo-seed' },
        )),
        created: true,
      };
  const { state } = await services.therapists.load(therapistStream(seeded.id));
  if (requireRegistered(state).rules.length === 0) {
    const { position } = await defineWeeklySchedule(services, seeded.id, DEMO_WEEK, systemCaller('demo-seed'));
    await services.settle(position);
  }
  return { id: seeded.id, slug: DEMO_SLUG, token: seeded.token, created: seeded.created };
}

/** Only the newest printed token works: earlier starts' tokens are revoked, not left lying around. */
async function reissueToken(services: Services, therapistId: string): Promise<string> {
  const caller = systemCaller('demo-seed');
  const earlier = (await services.db('app.therapist_credentials').select('id').where({ therapist_id: therapistId, label: 'demo' }).whereNull('revoked_at')) as { id: string }[];
  for (const { id } of earlier) await revokeTherapistCredential(services, therapistId, id, services.clock.now(), caller);
  return (await issueTherapistCredential(services, therapistId, { label: 'demo' }, caller)).token;
}
