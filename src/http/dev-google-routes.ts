import { randomBytes } from 'node:crypto';
import express, { type Response, type Router } from 'express';

/**
 * The local calendar driver's stand-in for Google's consent screen: it consents at once and sends the
 * browser back to our OAuth callback with a code the local driver exchanges. Only for the local driver.
 */
export function devGoogleRoutes(): Router {
  const router = express.Router();

  router.get('/dev/google/consent', (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const redirectUri = typeof req.query.redirect_uri === 'string' ? req.query.redirect_uri : '';
    if (!state) return badRequest(res, 'state is required');
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return badRequest(res, 'redirect_uri must be an absolute URL');
    }
    // An open redirect carrying an authorization code would hand it to whoever asked: only our own origin.
    if (target.origin !== `${req.protocol}://${req.get('host') ?? ''}`) return badRequest(res, 'redirect_uri must be on this service\'s origin');
    target.searchParams.set('code', `local-code-${randomBytes(16).toString('hex')}`);
    target.searchParams.set('state', state);
    res.redirect(302, target.toString());
  });

  return router;
}

function badRequest(res: Response, detail: string): void {
  res.status(400).type('application/problem+json').json({ type: 'about:blank', title: 'Bad Request', status: 400, detail });
}
