import { describe, expect, it } from 'vitest';
import { issueAuditorCredential, revokeAuditorCredential } from '../../commands/credentials.js';
import { systemCaller } from '../../commands/caller.js';
import { AUDITOR_ACCESS_STREAM } from '../../domain/access/access-events.js';
import { MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

/** Given a therapist, when access is given and taken away, then the log has it with its actor (issue 15: no write path bypasses the log). */
describe('Access in the log: every credential issued, rotated or revoked', () => {
  const running = useTestService({ now: MONDAY_8AM });
  const history = async (stream: string) => (await running.service.services.store.readStream(stream)).map((e) => ({ type: e.type, data: e.data as Record<string, unknown>, actor: e.metadata.actor }));

  it("records the therapist's tokens — issued at registration, by the therapist, rotated, revoked — never a token or its hash", async () => {
    const { service } = running;
    const therapist = await openTherapist(service);
    const created = await service.request('POST', '/api/tokens', { token: therapist.token, body: { label: 'laptop' } });
    expect(created.status).toBe(201);
    const laptop = String(created.json.id);
    const rotated = await service.request('POST', `/api/tokens/${laptop}/rotate`, { token: therapist.token, body: {} });
    expect(rotated.status).toBe(201);
    const revoked = await service.request('DELETE', `/api/tokens/${String(rotated.json.id)}`, { token: therapist.token });
    expect(revoked.status).toBe(204);

    const events = await history(`access-therapist-${therapist.id}`);
    expect(events.map((e) => [e.type, e.data.label ?? null, e.actor.kind])).toEqual([
      ['CredentialIssued', 'default', 'operator'],
      ['CredentialIssued', 'laptop', 'therapist'],
      ['CredentialRevoked', null, 'therapist'],
      ['CredentialIssued', 'laptop', 'therapist'],
      ['CredentialRevoked', null, 'therapist'],
    ]);
    expect(events[3]?.data).toMatchObject({ rotatedFrom: laptop, holder: { kind: 'therapist', therapistId: therapist.id } });
    const text = JSON.stringify(events);
    for (const token of [therapist.token, String(created.json.token), String(rotated.json.token)]) expect(text).not.toContain(token.slice(3));
    const hashes = (await service.services.db('app.therapist_credentials').select('token_hash').where({ therapist_id: therapist.id })) as { token_hash: string }[];
    for (const { token_hash } of hashes) expect(text).not.toContain(token_hash);

    // Revoking again changes nothing, and records nothing.
    await service.request('DELETE', `/api/tokens/${String(rotated.json.id)}`, { token: therapist.token });
    expect(await history(`access-therapist-${therapist.id}`)).toHaveLength(5);
  });

  it("records auditors' access, with its scope", async () => {
    const { service } = running;
    const therapist = await openTherapist(service);
    const before = (await history(AUDITOR_ACCESS_STREAM)).length;
    const auditor = await issueAuditorCredential(service.services, { name: 'Estudio Contable', therapistId: therapist.id, expiresAt: null }, systemCaller('test'));
    await revokeAuditorCredential(service.services, auditor.id, service.services.clock.now(), systemCaller('test'));
    const events = (await history(AUDITOR_ACCESS_STREAM)).slice(before);
    expect(events.map((e) => [e.type, e.data.credentialId, e.data.holder])).toEqual([
      ['CredentialIssued', auditor.id, { kind: 'auditor', scopeTherapistId: therapist.id }],
      ['CredentialRevoked', auditor.id, { kind: 'auditor', scopeTherapistId: therapist.id }],
    ]);
  });
});
