import { describe, expect, it } from 'vitest';
import { loadIntegrationConfig } from '../../src/integration-config.js';

describe('Integration settings', () => {
  it('runs every integration on its local driver without credentials', () => {
    const { config } = loadIntegrationConfig({}, 3000);
    expect(config).toMatchObject({ mercadoPago: undefined, google: undefined, twilio: undefined, smtp: undefined, urls: { publicBaseUrl: 'http://localhost:3000' } });
  });

  it('refuses to start in production with a local driver nobody asked for (the local checkout confirms without payment)', () => {
    const refused = loadIntegrationConfig({ NODE_ENV: 'production', MP_ACCESS_TOKEN: 'APP_USR-1', MP_WEBHOOK_SECRET: 'x'.repeat(32) }, 3000);
    expect(refused.config).toBeUndefined();
    expect(refused.problems.join()).toMatch(/Google Calendar.*WhatsApp.*e-mail.*INTEGRATIONS_LOCAL_DRIVERS=true/);
    expect(refused.problems.join()).not.toMatch(/Mercado Pago/);
    expect(loadIntegrationConfig({ NODE_ENV: 'production', INTEGRATIONS_LOCAL_DRIVERS: 'true' }, 3000).config).toBeDefined();
  });

  it('names each credential that comes without its pair', () => {
    const { problems } = loadIntegrationConfig({ MP_ACCESS_TOKEN: 'APP_USR-1', GOOGLE_OAUTH_CLIENT_ID: 'id', TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` }, 3000);
    expect(problems).toEqual([
      'MP_ACCESS_TOKEN and MP_WEBHOOK_SECRET go together (the webhook secret verifies x-signature)',
      'GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET go together',
      'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_NUMBER go together',
    ]);
  });
});
