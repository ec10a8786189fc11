import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/**
 * A local Twilio REST API (Messages resource, 2010-04-01) speaking the real wire format: form-encoded
 * requests under HTTP Basic auth, Twilio's message JSON, its list envelope and its error body. It also
 * plays Twilio's side of status callbacks, signed with the SDK's own signature function.
 */
export interface FakeTwilioOptions {
  readonly accountSid: string;
  readonly authToken: string;
  /** Twilio's clock (date_created, date_updated): the tests' manual clock, as Twilio's agrees with ours in production. */
  readonly now?: () => Date;
}

/**
 * Test hook (added for the exactly-once specification): the next create is stored as Twilio would
 * store it, but its answer is held until released: answered normally, or dropped (the connection is
 * destroyed, as when the caller dies or the network loses the answer).
 */
export interface HeldCreate {
  /** Resolves once Twilio has received (and stored) the message. */
  readonly received: Promise<void>;
  release(how: 'answer' | 'drop'): void;
}

export interface ReceivedTwilioRequest {
  readonly method: string;
  readonly path: string;
  /** Form fields (POST) or query parameters (GET), as decoded from the wire. */
  readonly params: Readonly<Record<string, string>>;
  readonly auth: { readonly username: string; readonly password: string } | null;
}

export interface TwilioMessageJson {
  sid: string;
  account_sid: string;
  api_version: '2010-04-01';
  to: string;
  from: string;
  body: string;
  status: string;
  direction: 'outbound-api';
  date_created: string;
  date_updated: string;
  date_sent: string | null;
  error_code: number | null;
  error_message: string | null;
  num_segments: string;
  num_media: string;
  price: string | null;
  price_unit: string;
  messaging_service_sid: string | null;
  uri: string;
  subresource_uris: { media: string };
}

/** A message as created: Twilio's JSON for it, and the form fields and credentials it came with. */
export interface FakeTwilioMessage {
  readonly json: TwilioMessageJson;
  readonly params: Readonly<Record<string, string>>;
  readonly auth: { readonly username: string; readonly password: string };
}

export interface FakeTwilio {
  /** Point the gateway's baseUrl here. */
  readonly url: string;
  /** Every API request received, in order, authorised or not. */
  readonly requests: readonly ReceivedTwilioRequest[];
  /** The messages created, oldest first. */
  readonly messages: readonly FakeTwilioMessage[];
  /** The next `times` authorised API calls answer `status` with Twilio's error JSON. */
  failNext(status: number, times: number, error?: { readonly code?: number; readonly message?: string }): void;
  /** See HeldCreate. */
  holdNextCreate(): HeldCreate;
  /** POSTs a signed status callback for `sid` to its StatusCallback URL; the receiver's HTTP status. */
  sendStatusCallback(sid: string, status: string, errorCode?: string): Promise<number>;
  close(): Promise<void>;
}

const API_VERSION = '2010-04-01';

export async function startFakeTwilio(options: FakeTwilioOptions): Promise<FakeTwilio> {
  const requests: ReceivedTwilioRequest[] = [];
  const messages: FakeTwilioMessage[] = [];
  const failures: { status: number; code: number; message: string }[] = [];
  const messagesPath = `/${API_VERSION}/Accounts/${options.accountSid}/Messages.json`;
  const now = options.now ?? (() => new Date());
  // Test hook (HeldCreate): the held create's release, set while one is held.
  let hold: { received: () => void; released: Promise<'answer' | 'drop'> } | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake-twilio');
    const params = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(await readBody(req))) : Object.fromEntries(url.searchParams);
    const auth = basicAuth(req.headers.authorization);
    requests.push({ method: req.method ?? '', path: url.pathname, params, auth });
    if (!auth || auth.username !== options.accountSid || auth.password !== options.authToken) {
      return void send(res, 401, errorBody(401, 20003, 'Authenticate'));
    }
    const failure = failures.shift();
    if (failure) return void send(res, failure.status, errorBody(failure.status, failure.code, failure.message));
    if (url.pathname !== messagesPath) return void send(res, 404, errorBody(404, 20404, `The requested resource ${url.pathname} was not found`));
    if (req.method === 'POST') return void (await create(params, auth, res));
    if (req.method === 'GET') return void list(params, url, res);
    send(res, 405, errorBody(405, 20004, 'Method not allowed'));
  };

  const create = async (params: Record<string, string>, auth: FakeTwilioMessage['auth'], res: ServerResponse): Promise<void> => {
    if (!params.To) return send(res, 400, errorBody(400, 21604, "A 'To' phone number is required."));
    if (!params.From) return send(res, 400, errorBody(400, 21603, "A 'From' phone number is required."));
    if (!params.Body) return send(res, 400, errorBody(400, 21602, 'Message body is required.'));
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const created = rfc2822(now());
    const json: TwilioMessageJson = {
      sid, account_sid: options.accountSid, api_version: API_VERSION, to: params.To, from: params.From, body: params.Body,
      status: 'queued', direction: 'outbound-api', date_created: created, date_updated: created, date_sent: null,
      error_code: null, error_message: null, num_segments: '1', num_media: '0', price: null, price_unit: 'USD',
      messaging_service_sid: null, uri: `/${API_VERSION}/Accounts/${options.accountSid}/Messages/${sid}.json`,
      subresource_uris: { media: `/${API_VERSION}/Accounts/${options.accountSid}/Messages/${sid}/Media.json` },
    };
    messages.push({ json, params, auth });
    const held = hold;
    if (held) {
      hold = undefined;
      held.received();
      if ((await held.released) === 'drop') return void res.socket?.destroy();
    }
    send(res, 201, json);
  };

  // Twilio's filters: To/From exact; DateSent by UTC day, on date_sent (so a queued message, never sent, is not matched).
  const list = (params: Record<string, string>, url: URL, res: ServerResponse): void => {
    const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : undefined);
    const [on, after, before] = [day(params.DateSent), day(params['DateSent>']), day(params['DateSent<'])];
    const sentDay = ({ json: m }: FakeTwilioMessage) => (m.date_sent ? new Date(m.date_sent).toISOString().slice(0, 10) : null);
    const matching = messages
      .filter(({ json: m }) => (!params.To || m.to === params.To) && (!params.From || m.from === params.From))
      .filter((m) => (on === undefined && after === undefined && before === undefined) || sentDay(m) !== null)
      .filter((m) => (on === undefined || sentDay(m) === on) && (after === undefined || (sentDay(m) ?? '') >= after) && (before === undefined || (sentDay(m) ?? '') <= before))
      .reverse();
    const pageSize = Math.min(Number(params.PageSize ?? 50), 1000);
    const page = Number(params.Page ?? 0);
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const uri = `${url.pathname}${url.search}`;
    const more = (page + 1) * pageSize < matching.length;
    const pageUri = (n: number) => `${messagesPath}?${new URLSearchParams({ ...params, PageSize: String(pageSize), Page: String(n) }).toString()}`;
    send(res, 200, {
      messages: slice.map((m) => m.json),
      end: page * pageSize + Math.max(slice.length - 1, 0),
      first_page_uri: pageUri(0),
      next_page_uri: more ? pageUri(page + 1) : null,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      page,
      page_size: pageSize,
      start: page * pageSize,
      uri,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, errorBody(500, 20500, 'Internal Server Error')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messages,
    failNext(status, times, error = {}) {
      for (let i = 0; i < times; i += 1) failures.push({ status, code: error.code ?? status * 100, message: error.message ?? 'Scripted failure' });
    },
    holdNextCreate() {
      let received = () => {};
      let release: (how: 'answer' | 'drop') => void = () => {};
      const receivedPromise = new Promise<void>((resolve) => (received = resolve));
      hold = { received: () => received(), released: new Promise((resolve) => (release = resolve)) };
      return { received: receivedPromise, release: (how) => release(how) };
    },
    async sendStatusCallback(sid, status, errorCode) {
      const found = messages.find((m) => m.json.sid === sid);
      const callbackUrl = found?.params.StatusCallback;
      if (!found || !callbackUrl) throw new Error(`fake Twilio: no status callback for ${sid}`);
      const message = found.json;
      message.status = status;
      message.date_updated = rfc2822(now());
      if (['sent', 'delivered', 'read'].includes(status) && !message.date_sent) message.date_sent = message.date_updated;
      const params: Record<string, string> = {
        AccountSid: options.accountSid, ApiVersion: API_VERSION, ChannelPrefix: 'whatsapp', From: message.from, To: message.to,
        MessageSid: sid, MessageStatus: status, SmsSid: sid, SmsStatus: status,
        ...(errorCode ? { ErrorCode: errorCode } : {}),
      };
      const signature = twilio.getExpectedTwilioSignature(options.authToken, callbackUrl, params);
      const response = await fetch(callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
        body: new URLSearchParams(params).toString(),
      });
      await response.arrayBuffer();
      return response.status;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Twilio's dates: RFC 2822 in GMT, e.g. "Mon, 15 Jul 2024 13:00:00 +0000". */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function errorBody(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function basicAuth(header: string | undefined): { username: string; password: string } | null {
  const match = /^Basic (.+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
