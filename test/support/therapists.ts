import { registerTherapist } from '../../commands/register-therapist.js';
import type { Services } from '../../src/services.js';

let counter = 0;

/** Registers a therapist through the real command and waits until the read models know it. */
export async function aTherapist(services: Services, overrides: { timezone?: string; sessionPrice?: number; slug?: string } = {}): Promise<{ id: string; slug: string; token: string }> {
  counter += 1;
  const slug = overrides.slug ?? `t-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  const registered = await registerTherapist(
    services,
    { name: `Lic. Test ${counter}`, slug, email: `${slug}@example.com`, timezone: overrides.timezone ?? 'America/Argentina/Buenos_Aires', sessionPrice: overrides.sessionPrice ?? 15000 },
    { kind: 'operator', name: 'test' },
  );
  await services.projections.waitFor(await services.store.headPosition(), { timeoutMs: 10_000 });
  return registered;
}
