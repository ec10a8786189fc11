import { z } from 'zod';

/**
 * The integrations' settings. Each integration is real when its credentials are set, and a local
 * driver otherwise (README, "Integrations"). The *_BASE_URL/_URL overrides point the real SDKs at
 * another host: the tests' local servers speaking each API's wire format, or a sandbox proxy.
 */
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

const environment = z.object({
  PUBLIC_BASE_URL: httpUrl.optional(),
  PUBLIC_PORTAL_BASE_URL: httpUrl.optional(),
  INTEGRATIONS_ENABLED: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').default(true),
  MP_ACCESS_TOKEN: z.string().trim().min(1).optional(),
  MP_WEBHOOK_SECRET: z.string().trim().min(16, 'must be the webhook secret from the Mercado Pago panel').optional(),
  MP_API_BASE_URL: httpUrl.optional(),
  GOOGLE_OAUTH_CLIENT_ID: z.string().trim().min(1).optional(),
  GOOGLE_OAUTH_CLIENT_SECRET: z.string().trim().min(1).optional(),
  GOOGLE_API_ROOT_URL: httpUrl.optional(),
  GOOGLE_OAUTH_TOKEN_URL: httpUrl.optional(),
  GOOGLE_OAUTH_AUTH_URL: httpUrl.optional(),
  TWILIO_ACCOUNT_SID: z.string().trim().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account sid (AC + 32 hex)').optional(),
  TWILIO_AUTH_TOKEN: z.string().trim().min(1).optional(),
  TWILIO_WHATSAPP_NUMBER: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +5491155550000').optional(),
  TWILIO_API_BASE_URL: httpUrl.optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z.string().trim().min(3).default('PsicoPay <no-reply@psicopay.local>'),
  NODE_ENV: z.string().optional(),
  // In production a missing credential is a mistake, not a wish for the local checkout (which confirms without payment).
  INTEGRATIONS_LOCAL_DRIVERS: z.enum(['true', 'false']).optional(),
});

export type IntegrationConfig = ReturnType<typeof loadIntegrationConfig>;

function pair(name: string, a: unknown, b: unknown, problems: string[]): void {
  if ((a === undefined) !== (b === undefined)) problems.push(name);
}

/** `problems`: field by field, for the one start-up error the service gives. */
export function loadIntegrationConfig(env: Record<string, string>, port: number): { config?: Integrations; problems: string[] } {
  const parsed = environment.safeParse(env);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`) };
  const e = parsed.data;
  const problems: string[] = [];
  pair('MP_ACCESS_TOKEN and MP_WEBHOOK_SECRET go together (the webhook secret verifies x-signature)', e.MP_ACCESS_TOKEN, e.MP_WEBHOOK_SECRET, problems);
  pair('GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET go together', e.GOOGLE_OAUTH_CLIENT_ID, e.GOOGLE_OAUTH_CLIENT_SECRET, problems);
  if ([e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN, e.TWILIO_WHATSAPP_NUMBER].some((v) => v !== undefined) && [e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN, e.TWILIO_WHATSAPP_NUMBER].some((v) => v === undefined)) {
    problems.push('TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_NUMBER go together');
  }
  const local = [
    ['Mercado Pago (MP_ACCESS_TOKEN)', e.MP_ACCESS_TOKEN],
    ['Google Calendar (GOOGLE_OAUTH_CLIENT_ID)', e.GOOGLE_OAUTH_CLIENT_ID],
    ['WhatsApp (TWILIO_ACCOUNT_SID)', e.TWILIO_ACCOUNT_SID],
    ['e-mail (SMTP_URL)', e.SMTP_URL],
  ].flatMap(([name, credential]) => (credential === undefined ? [name] : []));
  if (e.NODE_ENV === 'production' && local.length > 0 && e.INTEGRATIONS_LOCAL_DRIVERS !== 'true') {
    problems.push(`NODE_ENV=production with no credentials for ${local.join(', ')}: their local drivers would run (the local checkout confirms bookings without payment); set the credentials, or INTEGRATIONS_LOCAL_DRIVERS=true to mean it`);
  }
  if (problems.length > 0) return { problems };
  const publicBaseUrl = e.PUBLIC_BASE_URL ?? `http://localhost:${port}`;
  const config = {
    enabled: e.INTEGRATIONS_ENABLED,
    urls: { publicBaseUrl, portalBaseUrl: e.PUBLIC_PORTAL_BASE_URL ?? publicBaseUrl },
    mercadoPago: e.MP_ACCESS_TOKEN && e.MP_WEBHOOK_SECRET ? { accessToken: e.MP_ACCESS_TOKEN, webhookSecret: e.MP_WEBHOOK_SECRET, baseUrl: e.MP_API_BASE_URL } : undefined,
    google: e.GOOGLE_OAUTH_CLIENT_ID && e.GOOGLE_OAUTH_CLIENT_SECRET
      ? { clientId: e.GOOGLE_OAUTH_CLIENT_ID, clientSecret: e.GOOGLE_OAUTH_CLIENT_SECRET, rootUrl: e.GOOGLE_API_ROOT_URL, tokenUrl: e.GOOGLE_OAUTH_TOKEN_URL, authBaseUrl: e.GOOGLE_OAUTH_AUTH_URL }
      : undefined,
    twilio: e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_WHATSAPP_NUMBER ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_WHATSAPP_NUMBER, baseUrl: e.TWILIO_API_BASE_URL } : undefined,
    smtp: e.SMTP_URL ? { url: e.SMTP_URL, from: e.MAIL_FROM } : undefined,
  };
  return { config, problems: [] };
}

export type Integrations = {
  readonly enabled: boolean;
  readonly urls: { readonly publicBaseUrl: string; readonly portalBaseUrl: string };
  readonly mercadoPago: { readonly accessToken: string; readonly webhookSecret: string; readonly baseUrl: string | undefined } | undefined;
  readonly google: { readonly clientId: string; readonly clientSecret: string; readonly rootUrl: string | undefined; readonly tokenUrl: string | undefined; readonly authBaseUrl: string | undefined } | undefined;
  readonly twilio: { readonly accountSid: string; readonly authToken: string; readonly from: string; readonly baseUrl: string | undefined } | undefined;
  readonly smtp: { readonly url: string; readonly from: string } | undefined;
};
