/**
 * The load generator, run as its own process (bench/lib/load.ts spawns it) so that it does not share
 * a CPU queue or an event loop with the orchestrator: reads a LoadSpec as JSON on stdin, prints a
 * LoadResult as JSON on stdout.
 */
import autocannon from 'autocannon';
import type { CannonSpec, LoadResult, LoadSpec, SequentialSpec } from './lib/load-types.js';
import { summarize } from './lib/stats.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function codeOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    return typeof parsed.code === 'string' ? parsed.code : 'no_code';
  } catch {
    return 'not_json';
  }
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

async function cannon(spec: CannonSpec): Promise<Omit<LoadResult, 'loadCpuMs'>> {
  const latencies: number[] = [];
  const problemCodes: Record<string, number> = {};
  let bytes = 0;
  let next = 0;
  let lastAnswer = 0;
  const bodies = spec.bodies;
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections,
        ...(spec.durationSec !== undefined ? { duration: spec.durationSec } : {}),
        ...(spec.amount !== undefined ? { amount: spec.amount } : {}),
        ...(spec.maxConnectionRequests !== undefined ? { maxConnectionRequests: spec.maxConnectionRequests } : {}),
        timeout: spec.timeoutSec ?? 30,
        // autocannon notices that `amount` is reached only at its sampling tick (1 s by default):
        // sample often, and take the wall time from the last answer anyway (below).
        ...(spec.amount !== undefined ? { sampleInt: 10 } : {}),
        headers,
        requests: [
          {
            method: spec.method,
            setupRequest: (request) => {
              const i = next++;
              const path = spec.paths[i % spec.paths.length] ?? '/';
              const body = bodies ? bodies[i % bodies.length] : undefined;
              return { ...request, path, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) };
            },
            onResponse: (status, body) => {
              if (status >= 400) count(problemCodes, codeOf(body));
            },
          },
        ],
      },
      (error: Error | null, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, resBytes, responseTime) => {
      latencies.push(responseTime);
      bytes += resBytes;
      lastAnswer = performance.now();
    });
  });
  // A fixed amount: from the start to the last answer. A fixed duration: autocannon's own duration.
  const wallMs = spec.amount !== undefined ? lastAnswer - started : result.duration * 1000;
  const statuses: Record<string, number> = {};
  for (const [status, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = Number(stat.count ?? 0);
  const requests = latencies.length;
  return {
    requests,
    wallMs,
    rps: wallMs > 0 ? requests / (wallMs / 1000) : 0,
    latency: summarize(latencies),
    samples: latencies.map((ms) => Math.round(ms * 100) / 100),
    statuses,
    problemCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    meanResponseBytes: requests === 0 ? 0 : bytes / requests,
  };
}

async function sequential(spec: SequentialSpec): Promise<Omit<LoadResult, 'loadCpuMs'>> {
  const samples: number[] = [];
  const statuses: Record<string, number> = {};
  const problemCodes: Record<string, number> = {};
  let bytes = 0;
  let errors = 0;
  const started = performance.now();
  for (const request of spec.requests) {
    const begin = performance.now();
    try {
      const response = await fetch((request.baseUrl ?? spec.baseUrl) + request.path, {
        method: request.method,
        headers: { 'content-type': 'application/json', ...request.headers },
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      });
      const text = await response.text();
      samples.push(performance.now() - begin);
      bytes += Buffer.byteLength(text);
      count(statuses, String(response.status));
      if (response.status >= 400) count(problemCodes, codeOf(text));
    } catch {
      errors += 1;
    }
  }
  const wallMs = performance.now() - started;
  return {
    requests: samples.length,
    wallMs,
    rps: samples.length / (wallMs / 1000),
    latency: summarize(samples),
    samples,
    statuses,
    problemCodes,
    errors,
    timeouts: 0,
    meanResponseBytes: samples.length === 0 ? 0 : bytes / samples.length,
  };
}

const spec = JSON.parse(await readStdin()) as LoadSpec;
const cpuBefore = process.cpuUsage();
const result = spec.kind === 'cannon' ? await cannon(spec) : await sequential(spec);
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(JSON.stringify({ ...result, loadCpuMs: (cpu.user + cpu.system) / 1000 }));
