import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { Conflict } from '../domain/shared/domain-error.js';
import { therapistStream } from '../domain/therapist/streams.js';
import type { Actor, EventStore } from '../infra/event-store/event-store.js';
import { issueTherapistCredential } from './credentials.js';
import type { CommandContext } from './command-context.js';

export interface RegisterTherapistInput {
  readonly name: string;
  readonly slug: string;
  readonly email: string;
  readonly timezone: string;
  readonly sessionPrice: number;
}

export interface RegisteredTherapist {
  readonly id: string;
  readonly slug: string;
  readonly token: string;
}

/**
 * Registers a therapist: reserves the slug (unique across therapists, which no single stream can
 * enforce), appends TherapistRegistered to a new stream, and issues a bearer token stored hashed.
 */
export async function registerTherapist(ctx: CommandContext & { readonly store: EventStore }, input: RegisterTherapistInput, actor: Actor): Promise<RegisteredTherapist> {
  const id = randomUUID();
  await reserveSlug(ctx.db, input.slug, id);
  try {
    await ctx.therapists.handle(
      therapistStream(id),
      { type: 'RegisterTherapist', therapistId: id, ...input, now: ctx.clock.now() },
      { correlationId: randomUUID(), causationId: null, actor },
    );
  } catch (error) {
    await ctx.db('app.therapist_slugs').where({ slug: input.slug, therapist_id: id }).delete();
    throw error;
  }
  const { token } = await issueTherapistCredential(ctx, id, {}, { correlationId: randomUUID(), causationId: null, actor });
  return { id, slug: input.slug, token };
}

async function reserveSlug(db: Knex, slug: string, therapistId: string): Promise<void> {
  const inserted = await db('app.therapist_slugs').insert({ slug, therapist_id: therapistId }).onConflict('slug').ignore().returning('slug');
  if (inserted.length === 0) throw new Conflict('slug_taken', `The slug "${slug}" is already taken`, { slug });
}
