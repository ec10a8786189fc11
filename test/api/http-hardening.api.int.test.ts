import { describe, expect, it } from 'vitest';
import { maskContacts } from '../../infra/logging/logger.js';
import { useTestService } from '../support/service.js';

const PORTAL = 'https://turnos.psicopay.com.ar';

/** What every answer carries whoever asks (issue 11): security headers, CORS for the configured origins only, bounded strict JSON. */
describe('HTTP hardening', () => {
  const running = useTestService({ env: { CORS_ORIGINS: `${PORTAL},https://app.psicopay.com.ar` } });

  it('sends security headers on every answer, and no X-Powered-By', async () => {
    const res = await running.service.request('GET', '/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('lets the configured origins call the API from a browser (preflight included), and no other', async () => {
    const preflight = await fetch(`${running.service.baseUrl}/api/public/bookings`, {
      method: 'OPTIONS',
      headers: { origin: PORTAL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
    const allowed = await running.service.request('GET', '/health', { headers: { origin: PORTAL } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    const other = await running.service.request('GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers malformed JSON, a bare JSON string and a body over 100 kB with a 4xx problem', async () => {
    for (const [body, status] of [['{"therapistId":', 400], ['"just a string"', 400], [JSON.stringify({ patientName: 'x'.repeat(200_000) }), 413]] as const) {
      const res = await running.service.request('POST', '/api/public/bookings', { body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
  });

  it('masks e-mail addresses and phone numbers wherever they got into a log line', () => {
    const line = '{"msg":"could not notify juan.perez@example.com at +54 9 11 1234-5678 (booking 2027-03-02T13:00:00.000Z)"}';
    expect(maskContacts(line)).toBe('{"msg":"could not notify j***@example.com at +54******5678 (booking 2027-03-02T13:00:00.000Z)"}');
  });
});
