import { z } from 'zod';
import { historyQuery, noteBody, noteEditBody, noteParams, notesQuery, patientParams, patientProfileBody, patientSearchQuery, preferencesBody } from '../patient-input.js';
import { configureBody, markReadBody, modifyBody, notificationsQuery, occurrencesQuery, patientRecurrenceParams, recurrenceParams } from '../recurring-input.js';
import { therapistRoute as route, type DocumentedRoute } from './registry.js';
import { idempotencyHeader } from './routes-public.js';
import { jsonObject } from './responses.js';

const json = (description: string, status: 200 | 201 = 200) => ({ status, description, schema: jsonObject });
const gone = { status: 204, description: 'Done' } as const;
// The date of birth is checked against the therapist's clock; the shape of the body does not depend on it.
const profileBody = patientProfileBody('2100-12-31');
// GET /api/recurring/:patientId and PUT /api/recurring/:id are one path template to OpenAPI, whose
// templates may not differ by parameter name alone: the document names both `{id}`.
const patientIdAsId = z.object({ id: patientRecurrenceParams.shape.patientId.meta({ description: "The patient's id (UUID)" }) });

/** The therapist's patients, their notes and preferences, recurrences and the dashboard's notifications. */
export const PATIENT_ROUTES: readonly DocumentedRoute[] = [
  route('post', '/api/patients', 'patients', 'Register a patient (spec 5.2)', {
    body: profileBody,
    ok: json('The patient, with `Location`', 201),
    problems: [409],
  }),
  route('get', '/api/patients', 'patients', 'Search patients by name, e-mail or phone, 25 a page', {
    description: '`archived` = no session for two years (BR-PP-005); those without the sort key come last.',
    query: patientSearchQuery,
    ok: json('A page of patients with a `cursor`'),
  }),
  route('get', '/api/patients/:id', 'patients', 'One patient with their statistics as of now', { params: patientParams, ok: json('The patient'), problems: [404] }),
  route('put', '/api/patients/:id', 'patients', "Replace a patient's profile", { params: patientParams, body: profileBody, ok: json('The patient'), problems: [404, 409] }),
  route('get', '/api/patients/:id/history', 'patients', 'Every session and booking request of the patient, newest first, 50 a page', {
    description: 'As CSV with `format=csv` or `Accept: text/csv` (cells beginning with `= + - @` neutralised).',
    params: patientParams,
    query: historyQuery,
    ok: json('A page of the history (or text/csv)'),
    problems: [404],
  }),
  route('post', '/api/patients/:id/forget', 'patients', 'The right to be forgotten (BR-PP-005): the personal data keys are destroyed', {
    params: patientParams,
    ok: json('What is left of the patient'),
    problems: [404],
  }),
  route('get', '/api/patients/:id/notes', 'patients', 'Administrative notes, pinned first then newest, with text search', {
    params: patientParams,
    query: notesQuery,
    ok: json('`{ notes }`'),
    problems: [404],
  }),
  route('post', '/api/patients/:id/notes', 'patients', 'Add an administrative note (never clinical, BR-PP-001)', {
    params: patientParams,
    body: noteBody,
    ok: json('The note', 201),
    problems: [404],
  }),
  route('put', '/api/patients/:id/notes/:noteId', 'patients', 'Edit a note', { params: noteParams, body: noteEditBody, ok: json('The note'), problems: [404] }),
  ...(['pin', 'unpin'] as const).map((action) =>
    route('post', `/api/patients/:id/notes/:noteId/${action}`, 'patients', `${action === 'pin' ? 'Pin' : 'Unpin'} a note`, { params: noteParams, ok: json('The note'), problems: [404] }),
  ),
  route('delete', '/api/patients/:id/notes/:noteId', 'patients', 'Delete a note', { params: noteParams, ok: gone, problems: [404] }),
  route('put', '/api/patients/:id/preferences', 'patients', "The patient's scheduling preferences and custom price", {
    params: patientParams,
    body: preferencesBody,
    ok: json('The preferences'),
    problems: [404],
  }),
  route('post', '/api/recurring', 'recurring', 'Configure a recurrence (kept as an RFC 5545 rule in the therapist\'s zone)', {
    description: 'Invalid combinations are a field-level 422; a clash with another live recurrence 409 `recurrence_clash`.',
    headers: idempotencyHeader,
    body: configureBody,
    ok: json('The recurrence, with its `rule`', 201),
    problems: [404, 409],
  }),
  route('get', '/api/recurring/:id', 'recurring', "A patient's recurrences", { params: patientIdAsId, ok: json('`{ recurrences }`'), problems: [404] }),
  route('put', '/api/recurring/:id', 'recurring', 'Modify a recurrence', {
    description: 'Generated unpaid sessions move only with `applyToPending: true`; paid ones never.',
    params: recurrenceParams,
    body: modifyBody,
    ok: json('`{ recurrence, pendingSessions, rescheduled, keptForConflict }`'),
    problems: [404, 409],
  }),
  ...(['pause', 'resume'] as const).map((action) =>
    route('post', `/api/recurring/:id/${action}`, 'recurring', action === 'pause' ? 'Pause a recurrence' : 'Resume a recurrence from today (no backfill)', {
      params: recurrenceParams,
      ok: json('The recurrence'),
      problems: [404, 409],
    }),
  ),
  route('delete', '/api/recurring/:id', 'recurring', 'Stop a recurrence (generated sessions stay)', { params: recurrenceParams, ok: json('The recurrence'), problems: [404, 409] }),
  route('get', '/api/recurring/:id/occurrences', 'recurring', 'Each occurrence: generated, skipped, to_be_generated or not_generated', {
    params: recurrenceParams,
    query: occurrencesQuery,
    ok: json('`{ occurrences }`'),
    problems: [404],
  }),
  route('get', '/api/notifications', 'notifications', "The dashboard's notifications", { query: notificationsQuery, ok: json('`{ notifications }`') }),
  route('post', '/api/notifications/read', 'notifications', 'Mark notifications read', { body: markReadBody, ok: gone }),
];
