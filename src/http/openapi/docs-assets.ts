import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';

// Resolved, not imported: importing swagger-ui-dist would load its browser bundle into the service's heap.
const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files of the interactive reference, served from node_modules: no CDN, nothing fetched at run time. */
export const SWAGGER_UI_FILES = {
  'swagger-ui.css': join(swaggerUiDir, 'swagger-ui.css'),
  'swagger-ui-bundle.js': join(swaggerUiDir, 'swagger-ui-bundle.js'),
  'favicon-32x32.png': join(swaggerUiDir, 'favicon-32x32.png'),
} as const;

/** Our own start script: the CSP allows scripts from this origin only, never inline ones. */
export const DOCS_START_SCRIPT = 'docs.js';

export const docsAssetParams = z.object({
  asset: z.enum([...(Object.keys(SWAGGER_UI_FILES) as (keyof typeof SWAGGER_UI_FILES)[]), DOCS_START_SCRIPT], 'Not a file of the API reference'),
});
