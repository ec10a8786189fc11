import { Router, type Response } from 'express';
import { parseQuery } from '../../infra/http/parse.js';
import { DOCS_START_SCRIPT, docsAssetParams, SWAGGER_UI_FILES } from './openapi/docs-assets.js';
import { openApiDocument } from './openapi/document.js';

/**
 * The reference page may run the scripts and styles of this origin (Swagger UI) and call this
 * API; nothing from elsewhere. Swagger UI sets inline style attributes and draws its icons as data: images.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!DOCTYPE html>
<html lang="es">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>PsicoPay scheduling API</title>
    <link rel="stylesheet" href="/api/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/swagger-ui-bundle.js"></script>
    <script src="/api/docs/${DOCS_START_SCRIPT}"></script>
  </body>
</html>
`;

const START_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  // Tokens typed into "Authorize" stay in this tab only.
  persistAuthorization: false,
  validatorUrl: null,
});
`;

function docsPage(res: Response): Response {
  return res.setHeader('Content-Security-Policy', DOCS_CSP).setHeader('Cache-Control', 'public, max-age=300');
}

/** The OpenAPI document and its interactive reference, served by this service itself (no CDN). */
export function apiDocsRoutes(): Router {
  const router = Router();
  // Built at the first request, once: the schemas do not change while the service runs, and a start
  // (or a test's app) that is never asked for its document does not pay for it.
  let document: string | undefined;

  router.get('/api/openapi.json', (_req, res) => {
    document ??= JSON.stringify(openApiDocument());
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(document);
  });

  router.get('/api/docs', (_req, res) => {
    docsPage(res).type('html').send(PAGE);
  });

  router.get('/api/docs/:asset', (req, res) => {
    const { asset } = parseQuery(docsAssetParams, req.params);
    if (asset === DOCS_START_SCRIPT) {
      docsPage(res).type('application/javascript').send(START_SCRIPT);
      return;
    }
    // A fixed file per allowed name: the request names no path of its own.
    docsPage(res).sendFile(SWAGGER_UI_FILES[asset], { maxAge: '1h', dotfiles: 'deny' });
  });

  return router;
}
