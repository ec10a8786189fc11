import { comparePositions, type LogPosition } from '../infra/event-store/event-store.js';
import type { Checkpoint } from './checkpoint-store.js';

/** One projection's place, for /ready and `projections status`. */
export interface ProjectionStatus {
  readonly name: string;
  readonly status: 'starting' | 'running' | 'failed' | 'stopped';
  /** This process runs it; otherwise the figures are its stored checkpoint's (another process runs it, or none). */
  readonly runsHere: boolean;
  readonly position: { readonly commit: string; readonly prepare: string };
  /** Events of its types it has applied. */
  readonly eventsHandled: number;
  /** How far the head of the log is ahead (PostgreSQL: events; EventStoreDB: log bytes); 0 when caught up. */
  readonly lag: number;
  /** Why it failed, for ops (the CLI): what and where, never the values involved (see safeError). */
  readonly error: string | null;
}

type Figures = Pick<ProjectionStatus, 'status' | 'eventsHandled' | 'error'> & { readonly position: LogPosition };

/** As the runner holds it (`runsHere`), or as a checkpoint stored by whichever process ran it. */
export function statusOf(name: string, figures: Figures | Checkpoint, head: LogPosition, runsHere: boolean): ProjectionStatus {
  const { position } = figures;
  const lag = comparePositions(position, head) >= 0 ? 0 : Number(head.prepare - (position.prepare < 0n ? 0n : position.prepare));
  const status = runsHere && 'error' in figures ? figures.status : figures.status === 'failed' ? 'failed' : 'stopped';
  const error = 'error' in figures ? figures.error : figures.lastError;
  return { name, status, runsHere, position: { commit: position.commit.toString(), prepare: position.prepare.toString() }, eventsHandled: figures.eventsHandled, lag, error };
}
