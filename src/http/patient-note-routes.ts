import type { Router } from 'express';
import { addPatientNote, deletePatientNote, editPatientNote, pinPatientNote, setPatientPreferences } from '../../commands/patient-notes.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { patientNotes, patientPreferencesOf, patientProfile } from '../../queries/patients.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { noteBody, noteEditBody, noteParams, notesQuery, patientParams, preferencesBody } from './patient-input.js';


/**
 * A patient's administrative notes and preferences (BR-PP-001: never clinical content), on the
 * patients router (whose authentication and rate limit they share).
 */
export function addPatientNoteRoutes(router: Router, services: Services): void {
  const noteOf = async (therapistId: string, patientId: string, noteId: string) => (await services.reads.asTherapist(therapistId, (db) => patientNotes(db, therapistId, patientId, { noteId })))[0];

  router.get('/api/patients/:id/notes', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    // 404 for someone else's patient, before any of their notes could be listed.
    const { q } = parseQuery(notesQuery, req.query);
    const notes = await services.reads.asTherapist(therapistId, async (db) => {
      await patientProfile(db, therapistId, id, services.clock.now());
      return patientNotes(db, therapistId, id, { q });
    });
    res.json({ notes });
  });

  router.post('/api/patients/:id/notes', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    const body = parseBody(noteBody, req);
    const { noteId, position } = await addPatientNote(services, therapistId, id, { noteType: body.type, text: body.content, pinned: body.pinned }, caller);
    await services.settle(position);
    res.status(201).json(await noteOf(therapistId, id, noteId));
  });

  router.put('/api/patients/:id/notes/:noteId', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id, noteId } = parseQuery(noteParams, req.params);
    const body = parseBody(noteEditBody, req);
    const { position } = await editPatientNote(services, therapistId, id, noteId, { noteType: body.type, text: body.content }, caller);
    await services.settle(position);
    res.json(await noteOf(therapistId, id, noteId));
  });

  for (const [path, pinned] of [['pin', true], ['unpin', false]] as const) {
    router.post(`/api/patients/:id/notes/:noteId/${path}`, async (req, res) => {
      const { therapistId, caller } = therapistCaller(res);
      const { id, noteId } = parseQuery(noteParams, req.params);
      const { position } = await pinPatientNote(services, therapistId, id, noteId, pinned, caller);
      await services.settle(position);
      res.json(await noteOf(therapistId, id, noteId));
    });
  }

  router.delete('/api/patients/:id/notes/:noteId', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id, noteId } = parseQuery(noteParams, req.params);
    const { position } = await deletePatientNote(services, therapistId, id, noteId, caller);
    await services.settle(position);
    res.status(204).end();
  });

  router.put('/api/patients/:id/preferences', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    const { customPrice, ...preferences } = parseBody(preferencesBody, req);
    const { position } = await setPatientPreferences(services, therapistId, id, preferences, customPrice, caller);
    await services.settle(position);
    res.json(await services.reads.asTherapist(therapistId, (db) => patientPreferencesOf(db, id)));
  });
}
