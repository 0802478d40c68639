import { JOB_STATES, type JobState } from '../../queue/job-states';

/**
 * Names other job services give our states, accepted wherever a status filter is: a script
 * written for one of them filters without translating. Answers always carry our names.
 */
export const JOB_STATE_SYNONYMS: Readonly<Record<string, JobState>> = Object.freeze({
  queued: JOB_STATES.pending,
  processing: JOB_STATES.running,
  succeeded: JOB_STATES.completed,
  canceled: JOB_STATES.cancelled,
  dlq: JOB_STATES.dead,
});

/** Every value a status filter takes: our states, then their synonyms. */
export const STATUS_FILTER_VALUES: readonly string[] = [
  ...Object.values(JOB_STATES),
  ...Object.keys(JOB_STATE_SYNONYMS),
];

/** "queued for pending, processing for running, …", for error messages and the API's documentation. */
export const STATUS_SYNONYMS_TEXT = Object.entries(JOB_STATE_SYNONYMS)
  .map(([synonym, state]) => `${synonym} for ${state}`)
  .join(', ');

export const STATUS_FILTER_MESSAGE = `status must be one of ${Object.values(JOB_STATES).join(', ')} (or ${STATUS_SYNONYMS_TEXT})`;

/** class-transformer hook: a synonym becomes our state; anything else is left for @IsIn to judge. */
export const toJobState = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && Object.hasOwn(JOB_STATE_SYNONYMS, value) ? JOB_STATE_SYNONYMS[value] : value;
