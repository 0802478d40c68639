import { type ChildProcess, fork } from 'node:child_process';

const RESTART_MIN_DELAY_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;
/** A worker that stayed up this long is healthy again: its next crash restarts it at once. */
const STABLE_AFTER_MS = 60_000;

interface Slot {
  child?: ChildProcess;
  startedAt: number;
  restartDelay: number;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Runs N worker processes (separate PIDs, so one can crash or be killed without the others),
 * restarts one that dies, and on stop() asks each to drain with SIGTERM before killing it.
 */
export class WorkerSupervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;

  constructor(
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (message: string) => void,
    /** The first worker's WORKER_METRICS_PORT (0: none), from the launcher's loaded config. */
    private readonly metricsPort = 0,
  ) {}

  start(count: number): void {
    for (let i = 0; i < count; i++) {
      const slot: Slot = { startedAt: 0, restartDelay: RESTART_MIN_DELAY_MS };
      this.slots.push(slot);
      this.spawn(slot, i);
    }
  }

  pids(): number[] {
    return this.slots.flatMap((slot) => (slot.child?.pid ? [slot.child.pid] : []));
  }

  /** Resolves when every worker has exited; SIGKILLs any still running after `killAfterMs`. */
  async stop(killAfterMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(slot: Slot, index: number): void {
    // detached: Ctrl-C reaches the launcher alone, which then stops workers before the database.
    const child = fork(this.script, [], {
      env: envOfWorker(this.env, index, this.metricsPort),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    slot.child = child;
    slot.startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - slot.startedAt > STABLE_AFTER_MS) slot.restartDelay = RESTART_MIN_DELAY_MS;
      this.log(
        `Worker ${index + 1} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); restarting in ${slot.restartDelay} ms`,
      );
      slot.restartTimer = setTimeout(() => this.spawn(slot, index), slot.restartDelay);
      slot.restartDelay = Math.min(slot.restartDelay * 2, RESTART_MAX_DELAY_MS);
    });
  }
}

/**
 * Worker `index` (from 0) serves its metrics on `metricsPort` + index: one port each. Set in its
 * environment, which wins over a .env file the worker would otherwise read the same port from.
 */
export function envOfWorker(env: NodeJS.ProcessEnv, index: number, metricsPort: number): NodeJS.ProcessEnv {
  return metricsPort > 0 ? { ...env, WORKER_METRICS_PORT: String(metricsPort + index) } : env;
}
