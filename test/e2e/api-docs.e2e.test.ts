import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, describeInChromium } from '../support/chromium.js';
import { useTestService } from '../support/service.js';


describeInChromium('API reference in a browser: /api/docs in headless Chromium', 'opens /api/docs in headless Chromium and finds the booking endpoint', () => {
  const running = useTestService();
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the reference from this service alone and shows the booking endpoint with its body schema', async () => {
    if (!browser) throw new Error('Chromium did not start');
    const page = await browser.newPage();
    const blocked: string[] = [];
    const elsewhere: string[] = [];
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') blocked.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(running.service.baseUrl) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });

    await page.goto(`${running.service.baseUrl}/api/docs`);

    const booking = page.locator('.opblock-post .opblock-summary-path[data-path="/api/public/bookings"]');
    await expect.poll(() => booking.count(), { timeout: 30_000 }).toBe(1);
    await booking.click();
    const operation = page.locator('#operations-public-postApiPublicBookings');
    await expect.poll(() => operation.textContent(), { timeout: 15_000 }).toContain('Request a booking');
    await expect.poll(() => operation.textContent(), { timeout: 15_000 }).toContain('slot_unavailable');
    // The request body's example, drawn from the route's own zod schema.
    await expect.poll(() => operation.locator('.opblock-section-request-body').textContent(), { timeout: 15_000 }).toContain('patientName');
    expect(elsewhere, 'requests to anywhere but this service').toEqual([]);
    expect(failed, 'requests the service refused').toEqual([]);
    expect(blocked, 'console errors (a CSP violation shows here)').toEqual([]);
    await page.close();
  });
});
