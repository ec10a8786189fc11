import { registerTherapist } from '../commands/register-therapist.js';
import { issueTherapistToken } from '../infra/http/auth.js';
import type { Services } from './services.js';

export const DEMO_SLUG = 'demo';

/**
 * A therapist a newcomer can book against at once. Registered on first start; each start issues
 * a fresh token (tokens are stored hashed, so an old one cannot be shown again).
 */
export async function seedDemoTherapist(services: Services): Promise<{ id: string; slug: string; token: string; created: boolean }> {
  const existing = await services.db<{ therapist_id: string; slug: string }>('app.therapist_slugs').where('slug', DEMO_SLUG).first();
  if (existing) {
    // Only the newest printed token works: earlier starts' tokens are revoked, not left lying around.
    await services.db('app.therapist_credentials').where({ therapist_id: existing.therapist_id, label: 'demo' }).whereNull('revoked_at').update({ revoked_at: services.db.fn.now() });
    const token = await issueTherapistToken(services.db, existing.therapist_id, 'demo');
    return { id: existing.therapist_id, slug: DEMO_SLUG, token, created: false };
  }
  const registered = await registerTherapist(
    services,
    { name: 'Lic. María Demo', slug: DEMO_SLUG, email: 'demo@psicopay.example', timezone: services.config.defaultTimezone, sessionPrice: 15000 },
    { kind: 'system', job: 'demo-seed' },
  );
  return { ...registered, created: true };
}
