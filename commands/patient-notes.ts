import { randomUUID } from 'node:crypto';
import type { NoteType } from '../domain/patient/note-events.js';
import { patientStream } from '../domain/patient/patient-events.js';
import { livePatient } from '../domain/patient/patient-state.js';
import type { PatientPreferences } from '../domain/shared/personal-data.js';
import { metadataOf, type Caller } from './caller.js';
import type { CommandContext } from './command-context.js';

/**
 * A live patient of this therapist, checked before anything is sealed under the patient's key
 * (another therapist's patient is not found, a forgotten one takes nothing new); the decider checks again.
 */
export async function livePatientStream(ctx: CommandContext, therapistId: string, patientId: string): Promise<string> {
  const stream = patientStream(patientId);
  livePatient((await ctx.patients.load(stream)).state, { patientId, therapistId });
  return stream;
}

export async function addPatientNote(ctx: CommandContext, therapistId: string, patientId: string, note: { noteType: NoteType; text: string; pinned: boolean }, caller: Caller) {
  const stream = await livePatientStream(ctx, therapistId, patientId);
  const content = await ctx.keys.sealForPatient(therapistId, patientId, { text: note.text });
  const noteId = randomUUID();
  const result = await ctx.patients.handle(stream, { type: 'AddPatientNote', patientId, therapistId, noteId, noteType: note.noteType, content, pinned: note.pinned, now: ctx.clock.now() }, metadataOf(caller));
  return { noteId, position: result.position };
}

export async function editPatientNote(ctx: CommandContext, therapistId: string, patientId: string, noteId: string, note: { noteType: NoteType; text: string }, caller: Caller) {
  const stream = await livePatientStream(ctx, therapistId, patientId);
  const content = await ctx.keys.sealForPatient(therapistId, patientId, { text: note.text });
  return ctx.patients.handle(stream, { type: 'EditPatientNote', patientId, therapistId, noteId, noteType: note.noteType, content, now: ctx.clock.now() }, metadataOf(caller));
}

export async function pinPatientNote(ctx: CommandContext, therapistId: string, patientId: string, noteId: string, pinned: boolean, caller: Caller) {
  const stream = await livePatientStream(ctx, therapistId, patientId);
  return ctx.patients.handle(stream, { type: 'PinPatientNote', patientId, therapistId, noteId, pinned, now: ctx.clock.now() }, metadataOf(caller));
}

export async function deletePatientNote(ctx: CommandContext, therapistId: string, patientId: string, noteId: string, caller: Caller) {
  const stream = await livePatientStream(ctx, therapistId, patientId);
  return ctx.patients.handle(stream, { type: 'DeletePatientNote', patientId, therapistId, noteId, now: ctx.clock.now() }, metadataOf(caller));
}

export async function setPatientPreferences(ctx: CommandContext, therapistId: string, patientId: string, preferences: PatientPreferences, customPrice: number | null, caller: Caller) {
  const stream = await livePatientStream(ctx, therapistId, patientId);
  const sealed = await ctx.keys.sealForPatient(therapistId, patientId, preferences);
  return ctx.patients.handle(stream, { type: 'SetPatientPreferences', patientId, therapistId, preferences: sealed, customPrice, now: ctx.clock.now() }, metadataOf(caller));
}
