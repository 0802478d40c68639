import { readdirSync, readFileSync } from 'node:fs';
import { type Client } from 'pg';

/** USER_HZ: the unit of /proc/<pid>/stat's CPU times, 100 on every Linux build Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, or undefined where /proc cannot tell. */
export function cpuSecondsOfPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export interface CpuMeter {
  /** CPU seconds the processes used since the meter started; undefined where /proc cannot tell. */
  stop(): Promise<number | undefined>;
}

/**
 * Measures the CPU time of a set of processes over a phase, from /proc, to show how a throughput
 * figure on this machine carries over to one with more cores. `list` names the processes; it is
 * read at both ends, so that a process started during the phase (a new PostgreSQL backend)
 * counts in full. One that exited during the phase counts as nothing: the figure errs low.
 */
export async function startCpuMeter(list: () => Promise<number[]>): Promise<CpuMeter> {
  const before = new Map<number, number | undefined>(
    (await list()).map((pid) => [pid, cpuSecondsOfPid(pid)]),
  );
  return {
    async stop() {
      const pids = await list();
      if (pids.length === 0) return undefined;
      let total = 0;
      for (const pid of pids) {
        const end = cpuSecondsOfPid(pid);
        if (end === undefined) continue;
        const start = before.get(pid);
        total += before.has(pid) ? (start === undefined ? 0 : end - start) : end;
      }
      return total;
    },
  };
}

/**
 * The processes of a PostgreSQL server that runs on this machine: its backends and background
 * processes (WAL writer, checkpointer, autovacuum) as pg_stat_activity lists them. Empty when the
 * server is elsewhere (its pids are not ours to read).
 */
export async function postgresPids(client: Client): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity`);
  const pids = rows.map((row) => row.pid);
  // A server in a container reports pids of its own namespace: here they would name other processes.
  return pids.every((pid) => commandOf(pid) === 'postgres') ? pids : [];
}

/** Fields of /proc/<pid>/stat after the command name (field 3 onward), or undefined. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The postmaster's own CPU ticks, and its reaped children's (cutime, cstime: backends that have exited). */
function postmasterTicks(postmaster: number): { own: number; reaped: number } | undefined {
  const fields = statFields(postmaster);
  return (
    fields && {
      own: Number(fields[11]) + Number(fields[12]),
      reaped: Number(fields[13]) + Number(fields[14]),
    }
  );
}

/**
 * CPU seconds of a PostgreSQL server so far: the postmaster's own and its reaped children's, plus
 * its live children's. Counts the backends of clients that connect and leave within a phase, which
 * a list of pids read at its ends misses. A backend reaped between the read of the reaped ticks and
 * the walk of the live children would count in neither (seen: a pgbench run whose backends were
 * exiting as the meter stopped read 0.85 of the 1.7 cores its neighbours did), so the reaped ticks
 * are read on both sides of the walk and the walk is taken again until they agree.
 */
function serverCpuSeconds(postmaster: number): number | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = postmasterTicks(postmaster);
    if (before === undefined) return undefined;
    let live = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statFields(entry);
      // ppid is field 4 of the line, 1 after the name.
      if (fields && Number(fields[1]) === postmaster) live += Number(fields[11]) + Number(fields[12]);
    }
    const after = postmasterTicks(postmaster);
    if (after === undefined) return undefined;
    if (after.reaped === before.reaped) return (after.own + after.reaped + live) / CLOCK_TICKS_PER_SECOND;
  }
  return undefined;
}

/**
 * Meters the CPU of the whole PostgreSQL server `client` is connected to (every backend, the
 * ones that come and go included, and the background processes), when it runs on this machine;
 * stop() gives undefined otherwise.
 */
export async function startServerCpuMeter(client: Client): Promise<CpuMeter> {
  const [pid] = await postgresPids(client);
  const backend = pid === undefined ? undefined : statFields(pid);
  const postmaster = backend ? Number(backend[1]) : undefined;
  const start =
    postmaster === undefined || commandOf(postmaster) !== 'postgres'
      ? undefined
      : serverCpuSeconds(postmaster);
  return {
    stop: async () => {
      if (start === undefined) return undefined;
      const end = serverCpuSeconds(postmaster!);
      return end === undefined ? undefined : end - start;
    },
  };
}

/** Milliseconds of CPU per operation; undefined when CPU could not be measured. */
export function cpuMsPer(seconds: number | undefined, operations: number): number | undefined {
  return seconds === undefined ? undefined : +((seconds * 1000) / operations).toFixed(3);
}

/** Processes to meter, by the name their figure is reported under. */
export type ProcessSources = Record<string, () => Promise<number[]>>;

/**
 * Meters a phase: each source's processes, plus this process (`bench_process`, where the
 * clients, or an in-process library under test, run). stop() gives CPU milliseconds per
 * operation under `<name>_cpu_ms`.
 */
export async function meterPhase(sources: ProcessSources) {
  const meters = await Promise.all(
    Object.entries(sources).map(async ([name, list]) => [name, await startCpuMeter(list)] as const),
  );
  const own = process.cpuUsage();
  return {
    async stop(operations: number): Promise<Record<string, number | undefined>> {
      const ownUsage = process.cpuUsage(own);
      const figures: Record<string, number | undefined> = {
        bench_process_cpu_ms: cpuMsPer((ownUsage.user + ownUsage.system) / 1e6, operations),
      };
      for (const [name, meter] of meters)
        figures[`${name}_cpu_ms`] = cpuMsPer(await meter.stop(), operations);
      return figures;
    },
  };
}
