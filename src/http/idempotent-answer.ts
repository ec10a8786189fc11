import type { Request, Response } from 'express';
import { idempotent, type StoredAnswer } from '../../infra/http/idempotency.js';
import type { Services } from '../services.js';

/**
 * A therapist's create command under an optional Idempotency-Key (scoped to the therapist): a retry
 * after a lost answer gets the first answer, and a run that died half-way is taken up on the same
 * entity id, which the deciders recognise.
 */
export async function answerIdempotently(
  services: Services,
  req: Request,
  res: Response,
  scope: string,
  body: unknown,
  run: (entityId: string) => Promise<StoredAnswer>,
): Promise<void> {
  const answer = await idempotent(services.db, scope, req.get('idempotency-key'), body, run, (value) => services.keys.fingerprint(value));
  if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
  if (answer.problem) res.status(answer.status).type('application/problem+json').json(answer.body);
  else res.status(answer.status).json(answer.body);
}
