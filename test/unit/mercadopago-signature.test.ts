import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signMercadoPagoNotification, verifyMercadoPagoSignature, type SignatureCheck } from '../../infra/integrations/mercadopago/webhook-signature.js';

const SECRET = 'webhook-secret-from-your-integrations';
const NOW = new Date('2030-05-06T13:00:00.000Z');
const REQUEST_ID = 'bb56a2f1-6aae-46ac-982e-9dcd3581d08e';

const signed = (over: { dataId?: string; requestId?: string; ts?: number; secret?: string } = {}) =>
  signMercadoPagoNotification({ secret: over.secret ?? SECRET, dataId: over.dataId ?? '123456789', requestId: over.requestId ?? REQUEST_ID, ts: over.ts ?? NOW.getTime() });

const check = (over: Partial<SignatureCheck> = {}): SignatureCheck => ({
  secret: SECRET,
  signatureHeader: signed(),
  requestId: REQUEST_ID,
  dataId: '123456789',
  now: NOW,
  toleranceMs: 5 * 60_000,
  ...over,
});

describe('Mercado Pago webhook signatures', () => {
  it('signs id, request id and timestamp as Mercado Pago documents it', () => {
    const ts = NOW.getTime();
    const expected = createHmac('sha256', SECRET).update(`id:123456789;request-id:${REQUEST_ID};ts:${ts};`).digest('hex');
    expect(signed()).toBe(`ts=${ts},v1=${expected}`);
  });

  it('accepts a notification signed with the secret', () => {
    expect(verifyMercadoPagoSignature(check())).toEqual({ ok: true });
  });

  it('accepts the header with spaces after the comma and v1 before ts', () => {
    const [ts, v1] = signed().split(',');
    expect(verifyMercadoPagoSignature(check({ signatureHeader: `${v1}, ${ts}` }))).toEqual({ ok: true });
  });

  it('rejects a forged signature', () => {
    const forged = `ts=${NOW.getTime()},v1=${'ab'.repeat(32)}`;
    expect(verifyMercadoPagoSignature(check({ signatureHeader: forged }))).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a signature that is not 64 hex digits without comparing it', () => {
    expect(verifyMercadoPagoSignature(check({ signatureHeader: `ts=${NOW.getTime()},v1=abc` }))).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: `ts=${NOW.getTime()},v1=${'zz'.repeat(32)}` }))).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a notification signed with another secret', () => {
    expect(verifyMercadoPagoSignature(check({ signatureHeader: signed({ secret: 'another-application' }) }))).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a valid header replayed with another data.id or another request id', () => {
    expect(verifyMercadoPagoSignature(check({ dataId: '987654321' }))).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyMercadoPagoSignature(check({ requestId: 'another-request' }))).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('rejects a timestamp older or further ahead than the tolerance, even when correctly signed', () => {
    const stale = NOW.getTime() - 5 * 60_000 - 1;
    expect(verifyMercadoPagoSignature(check({ signatureHeader: signed({ ts: stale }) }))).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
    const future = NOW.getTime() + 5 * 60_000 + 1;
    expect(verifyMercadoPagoSignature(check({ signatureHeader: signed({ ts: future }) }))).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: signed({ ts: NOW.getTime() - 5 * 60_000 }) }))).toEqual({ ok: true });
  });

  it('reads a timestamp in seconds as well as in milliseconds', () => {
    const seconds = Math.floor(NOW.getTime() / 1000) - 30;
    expect(signed({ ts: seconds })).toMatch(new RegExp(`^ts=${seconds},v1=`));
    expect(verifyMercadoPagoSignature(check({ signatureHeader: signed({ ts: seconds }) }))).toEqual({ ok: true });
    const staleSeconds = Math.floor(NOW.getTime() / 1000) - 3600;
    expect(verifyMercadoPagoSignature(check({ signatureHeader: signed({ ts: staleSeconds }) }))).toEqual({ ok: false, reason: 'timestamp_out_of_tolerance' });
  });

  it('rejects a missing or malformed header, a missing ts or v1, and a ts that is not a number', () => {
    const v1 = signed().split(',')[1] ?? '';
    expect(verifyMercadoPagoSignature(check({ signatureHeader: undefined }))).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: '  ' }))).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: 'garbage' }))).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: v1 }))).toEqual({ ok: false, reason: 'missing_timestamp' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: `ts=${NOW.getTime()}` }))).toEqual({ ok: false, reason: 'missing_v1' });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: `ts=yesterday,${v1}` }))).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('leaves absent parts out of the manifest, as Mercado Pago does when it has no request id', () => {
    const ts = NOW.getTime();
    const withoutRequestId = `ts=${ts},v1=${createHmac('sha256', SECRET).update(`id:123456789;ts:${ts};`).digest('hex')}`;
    expect(verifyMercadoPagoSignature(check({ signatureHeader: withoutRequestId, requestId: undefined }))).toEqual({ ok: true });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: withoutRequestId }))).toEqual({ ok: false, reason: 'signature_mismatch' });
    const withoutId = `ts=${ts},v1=${createHmac('sha256', SECRET).update(`request-id:${REQUEST_ID};ts:${ts};`).digest('hex')}`;
    expect(verifyMercadoPagoSignature(check({ signatureHeader: withoutId, dataId: '' }))).toEqual({ ok: true });
  });

  it('signs an alphanumeric data.id in lower case, so its case in the query string does not matter', () => {
    const header = signed({ dataId: 'ORD01JQ4S4KY8HWQ6NA5PXB65B3D3' });
    const ts = NOW.getTime();
    expect(header).toBe(`ts=${ts},v1=${createHmac('sha256', SECRET).update(`id:ord01jq4s4ky8hwq6na5pxb65b3d3;request-id:${REQUEST_ID};ts:${ts};`).digest('hex')}`);
    expect(verifyMercadoPagoSignature(check({ signatureHeader: header, dataId: 'ORD01JQ4S4KY8HWQ6NA5PXB65B3D3' }))).toEqual({ ok: true });
    expect(verifyMercadoPagoSignature(check({ signatureHeader: header, dataId: 'ord01jq4s4ky8hwq6na5pxb65b3d3' }))).toEqual({ ok: true });
  });
});
