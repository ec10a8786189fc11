import os from 'node:os';

export type Figure = number | string | boolean | null;

export interface ScenarioResult {
  readonly name: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  /** Every number measured, absolute values included (units in the key: Ms, PerSec, Mb, …). */
  readonly figures: Readonly<Record<string, Figure>>;
  /** The figure the goal is about: a ratio to the baseline of the same run. */
  readonly ratio?: number;
  readonly goal?: string;
  readonly met?: boolean;
  /** One line for the table: the few figures a reader looks at first. */
  readonly summary?: string;
}

export interface Machine {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly postgres: string;
  readonly platform: string;
}

export interface BenchReport {
  readonly date: string;
  readonly quick: boolean;
  readonly durationSec: number;
  readonly machine: Machine;
  readonly scenarios: readonly ScenarioResult[];
}

export function machine(postgres: string): Machine {
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres,
    platform: `${os.type()} ${os.release()}`,
  };
}

export function skipped(name: string, reason: string): ScenarioResult {
  return { name, status: 'skipped', reason, figures: {} };
}

export function failed(name: string, error: unknown): ScenarioResult {
  return { name, status: 'failed', reason: error instanceof Error ? error.message : String(error), figures: {} };
}

/** A ratio judged against a lower (`≥`) or upper (`≤`) bound. */
export function judged(ratio: number, bound: number, direction: 'atLeast' | 'atMost'): { ratio: number; goal: string; met: boolean } {
  const rounded = Math.round(ratio * 1000) / 1000;
  return direction === 'atLeast'
    ? { ratio: rounded, goal: `≥ ${bound}`, met: ratio >= bound }
    : { ratio: rounded, goal: `≤ ${bound}`, met: ratio <= bound };
}

/** The stdout table: one row per result, columns padded to their widest cell. */
export function table(report: BenchReport): string {
  const header = ['scenario', 'status', 'ratio', 'goal', 'met', 'figures'];
  const rows = report.scenarios.map((s) => [
    s.name,
    s.status,
    s.ratio === undefined ? '' : String(s.ratio),
    s.goal ?? '',
    s.met === undefined ? '' : s.met ? 'yes' : 'NO',
    s.status === 'ok' ? (s.summary ?? '') : (s.reason ?? ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.min((r[i] ?? '').length, i === 5 ? 200 : 60))));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 5 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  const m = report.machine;
  return [
    `PsicoPay bench ${report.quick ? '(quick, 1/10 size)' : '(full)'} — ${report.date}, ${report.durationSec} s`,
    `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}
