import { type ChaosContext, type Findings } from './harness';
import { SIGKILL_STORM_FULL, sigkillStorm } from './sigkill-storm';

export interface Scenario {
  /** The name `npm run chaos <name>` takes. */
  name: string;
  checks: string;
  full(context: ChaosContext, seed: number): Promise<Findings>;
}

/** Every scenario at full size, in the order `npm run chaos` runs them. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'sigkill-storm',
    checks:
      '50,000 jobs, 4 workers, one SIGKILLed every 2 s and restarted: 0 lost, all completed or dead, every attempt explained',
    full: (context, seed) => sigkillStorm(context, { ...SIGKILL_STORM_FULL, seed }),
  },
];
