import { Router } from 'express';
import { z } from 'zod';
import { parseQuery } from '../../infra/http/parse.js';

const query = z.object({ bytes: z.coerce.number().int().min(2).max(5_000_000) });

/**
 * Only with BENCH_ENDPOINTS=true: the benchmark's baseline, a precomputed JSON body of a given size
 * served by the same express app, middleware and all — what this server can do at all.
 */
export function benchRoutes(): Router {
  const router = Router();
  const bodies = new Map<number, string>();
  router.get('/__bench/static', (req, res) => {
    const { bytes } = parseQuery(query, req.query);
    let body = bodies.get(bytes);
    if (body === undefined) {
      if (bodies.size >= 16) bodies.clear();
      body = JSON.stringify({ padding: 'x'.repeat(Math.max(0, bytes - 14)) });
      bodies.set(bytes, body);
    }
    res.type('application/json').send(body);
  });
  return router;
}
