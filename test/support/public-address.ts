import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PublicAddress {
  /** What the outside world (Twilio, Google's redirect, Mercado Pago) calls us at: PUBLIC_BASE_URL. */
  readonly url: string;
  pointAt(target: string): void;
  close(): Promise<void>;
}

/**
 * The service's public address, known before the service starts (it listens on a port of its own
 * choosing): a pass-through proxy, as a load balancer would be in front of it in production.
 */
export async function startPublicAddress(): Promise<PublicAddress> {
  let target: string | undefined;
  const server = createServer((req, res) => {
    if (!target) return void res.writeHead(502).end();
    const upstream = httpRequest(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pointAt: (to) => void (target = to),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
