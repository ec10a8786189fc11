import path from 'node:path';
import { exitOf, startChild } from './children.js';
import type { LoadResult, LoadSpec } from './load-types.js';

export const REPO = path.resolve(import.meta.dirname, '..', '..');

/** Runs bench/load-worker.ts in its own process and returns what it measured. */
export async function runLoad(spec: LoadSpec, timeoutMs: number): Promise<LoadResult> {
  const child = startChild(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench', 'load-worker.ts')], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin?.end(JSON.stringify(spec));
  const code = await exitOf(child, timeoutMs);
  if (code !== 0) throw new Error(`load generator failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(out) as LoadResult;
}
