import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/**
 * A local SMTP server (smtp-server: the real protocol, AUTH PLAIN/LOGIN, no TLS) that parses each
 * accepted message with mailparser. A message is parsed before the server answers DATA, so it is in
 * `messages` by the time the client's send resolves.
 */
export interface ReceivedMail {
  readonly envelope: { readonly from: string | null; readonly to: readonly string[] };
  /** The user the client authenticated as (null without AUTH). */
  readonly authUser: string | null;
  readonly to: string;
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string | null;
  readonly messageId: string | null;
  readonly attachments: readonly { readonly filename: string | null; readonly contentType: string; readonly contentDisposition: string | null; readonly content: string }[];
  /** The message as it came over DATA. */
  readonly raw: string;
}

export interface FakeSmtp {
  /** smtp://user:pass@127.0.0.1:port */
  readonly url: string;
  readonly user: string;
  readonly messages: readonly ReceivedMail[];
  /** The next `times` messages are refused at RCPT TO with this SMTP reply code. */
  failNext(code: number, times: number): void;
  close(): Promise<void>;
}

export async function startFakeSmtp(options: { readonly user?: string; readonly pass?: string } = {}): Promise<FakeSmtp> {
  const user = options.user ?? 'psicopay';
  const pass = options.pass ?? 'smtp-test-password';
  const messages: ReceivedMail[] = [];
  const failures: number[] = [];

  const server = new SMTPServer({
    name: 'fake-smtp.local',
    // Without a certificate: STARTTLS is not offered, so AUTH over plain TCP must be allowed.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
      callback(replyError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(_address, _session, callback) {
      const code = failures.shift();
      if (code === undefined) return callback();
      callback(replyError(code, code >= 500 ? 'Requested action not taken: mailbox unavailable' : 'Service not available, try again later'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const addresses = (value: typeof parsed.to) => (value === undefined ? '' : (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', '));
            messages.push({
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              authUser: typeof session.user === 'string' ? session.user : null,
              to: addresses(parsed.to),
              from: addresses(parsed.from),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
              messageId: parsed.messageId ?? null,
              attachments: parsed.attachments.map((a) => ({
                filename: a.filename ?? null,
                contentType: a.contentType,
                contentDisposition: a.contentDisposition ?? null,
                content: a.content.toString('utf8'),
              })),
              raw,
            });
            callback();
          })
          .catch(() => callback(replyError(554, 'Message could not be parsed')));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    user,
    messages,
    failNext(code, times) {
      for (let i = 0; i < times; i += 1) failures.push(code);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function replyError(code: number, message: string): SMTPServerError {
  return Object.assign(new Error(message), { responseCode: code });
}
