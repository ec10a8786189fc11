import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface Times {
  readonly ppid: number;
  /** utime + stime of the process itself, ms. */
  readonly ownMs: number;
  /** cutime + cstime: children it has waited for, ms. */
  readonly childrenMs: number;
}

function timesOf(pid: number | string): Times | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = (i: number) => (Number(fields[i] ?? 0) * 1000) / TICKS_PER_SECOND;
    return { ppid: Number(fields[1]), ownMs: tick(11) + tick(12), childrenMs: tick(13) + tick(14) };
  } catch {
    return undefined;
  }
}

/** CPU ms used so far by one process. */
export function processCpuMs(pid: number): number {
  return timesOf(pid)?.ownMs ?? 0;
}

/** CPU ms used so far by a PostgreSQL cluster: the postmaster, its live backends, and the ones that exited. */
export function clusterCpuMs(postmasterPid: number): number {
  const postmaster = timesOf(postmasterPid);
  if (!postmaster) return 0;
  let total = postmaster.ownMs + postmaster.childrenMs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = timesOf(entry);
    if (times?.ppid === postmasterPid) total += times.ownMs;
  }
  return total;
}

export interface CpuSplit {
  readonly serviceMs: number;
  readonly postgresMs: number;
}

/** Starts counting the CPU the service and PostgreSQL use; the returned function stops and reports. */
export function cpuMeter(servicePid: number, postmasterPid: number): () => CpuSplit {
  const start = { service: processCpuMs(servicePid), postgres: clusterCpuMs(postmasterPid) };
  return () => ({ serviceMs: processCpuMs(servicePid) - start.service, postgresMs: clusterCpuMs(postmasterPid) - start.postgres });
}
