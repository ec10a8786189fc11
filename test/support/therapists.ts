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
  // The head of the log may lag behind our own commit while other transactions in the cluster run,
  // so wait for the read models themselves rather than for a position.
  const deadline = Date.now() + 10_000;
  while (!(await services.db('read.booking_policies').where('therapist_id', registered.id).first())) {
    if (Date.now() > deadline) throw new Error('The therapist did not reach the read models');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return registered;
}
