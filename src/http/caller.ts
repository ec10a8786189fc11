import type { Response } from 'express';
import type { Caller } from '../../commands/caller.js';
import type { Actor } from '../../infra/event-store/event-store.js';
import { therapistIdOf } from '../../infra/http/auth.js';

/** The authenticated therapist as the actor of the commands this request sends. */
export function therapistCaller(res: Response): { therapistId: string; caller: Caller } {
  const therapistId = therapistIdOf(res);
  return { therapistId, caller: callerOf(res, { kind: 'therapist', id: therapistId }) };
}

export function callerOf(res: Response, actor: Actor): Caller {
  return { actor, correlationId: String(res.locals.requestId ?? ''), causationId: null };
}
