import { Conflict, NotFound } from '../shared/domain-error.js';
import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import type { RecordSessionOutcome } from './therapist-commands.js';
import type { TherapistState } from './therapist-state.js';

/**
 * completed / no_show record what happened (so only once the session has started); cancelled frees
 * the time (so only before it starts). Recording the same outcome again is a no-op.
 */
export function decideRecordSessionOutcome(command: RecordSessionOutcome, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const session = therapist.sessions[command.sessionId];
  if (!session) throw new NotFound('session', command.sessionId);
  if (session.status === command.outcome) return [];
  if (session.status !== 'scheduled') {
    throw new Conflict(`session_${session.status}`, `This session is already ${session.status.replace('_', '-')}`, { sessionId: session.sessionId, status: session.status });
  }
  const at = command.now.toISOString();
  const started = Date.parse(session.startsAt) <= command.now.getTime();
  switch (command.outcome) {
    case 'completed':
    case 'no_show':
      if (!started) throw new Conflict('session_not_started', 'The outcome of a session can be recorded once it has started', { sessionId: session.sessionId, startsAt: session.startsAt });
      return command.outcome === 'completed'
        ? [{ type: 'SessionCompleted', data: { sessionId: session.sessionId, at } }]
        : [{ type: 'SessionMarkedNoShow', data: { sessionId: session.sessionId, at } }];
    case 'cancelled':
      if (started) throw new Conflict('session_already_started', 'A session that has started cannot be cancelled', { sessionId: session.sessionId });
      return [{ type: 'SessionCancelled', data: { sessionId: session.sessionId, cancelledBy: 'therapist', reason: command.reason, cancelledAt: at } }];
  }
}
