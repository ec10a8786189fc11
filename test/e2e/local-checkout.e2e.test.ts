import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { CHROMIUM, CHROMIUM_ARGS, describeInChromium } from '../support/chromium.js';
import { useTestService } from '../support/service.js';


// The patients' portal is another application: a stand-in answers the browser's return to it.
const portal = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Tu reserva</p>'));
await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
const PORTAL = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;
afterAll(async () => {
  portal.closeAllConnections();
  await new Promise((resolve) => portal.close(resolve));
});

/**
 * The local Mercado Pago checkout as a patient uses it: a real browser opens the booking's
 * paymentLink, presses Pagar, and is sent back like Mercado Pago's auto_return; the booking is then
 * confirmed through the signed webhook. The page's own CSP must let its form post (and redirect).
 */
describeInChromium('Local checkout in a browser: pay a Mercado Pago booking in headless Chromium', 'pays a Mercado Pago booking on the local checkout page in headless Chromium', () => {
  const running = useTestService({ now: MONDAY_8AM, env: { PUBLIC_PORTAL_BASE_URL: PORTAL } });
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens the payment link, presses Pagar, returns to the booking page, and the booking is confirmed with a Meet link', async () => {
    if (!browser) throw new Error('Chromium did not start');
    const { service } = running;
    const therapist = await openTherapist(service, { sessionPrice: 21000 });
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00', { paymentMethod: 'mercadopago' }) });
    expect(booked.status).toBe(201);
    const bookingId = String(booked.json.id);
    const link = new URL(String(booked.json.paymentLink));

    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') violations.push(message.text());
    });
    await page.goto(`${service.baseUrl}${link.pathname}`);
    await expect.poll(() => page.textContent('body')).toContain('21.000');
    const returned = page.waitForURL((url) => url.origin === PORTAL && url.pathname === `/booking/${bookingId}`);
    await page.getByRole('button', { name: /Pagar/ }).click();
    await returned;
    expect(new URL(page.url()).searchParams.get('status')).toBe('approved');
    expect(violations.filter((v) => /Content Security Policy/i.test(v))).toEqual([]);

    const token = encodeURIComponent(String(booked.json.patientToken));
    const status = async () => (await service.request('GET', `/api/public/bookings/${bookingId}?token=${token}`)).json;
    await expect.poll(async () => (await status()).status, { timeout: 20_000 }).toBe('confirmed');
    await expect.poll(async () => (await status()).meetLink, { timeout: 20_000 }).toMatch(/^https:\/\/meet\.google\.com\//);
    await page.close();
  });
});
