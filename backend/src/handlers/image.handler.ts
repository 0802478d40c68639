import { createHash } from 'node:crypto';
import { type JobHandler, numberIn, type PayloadProblem } from './job-handler';

/** About 1-2 µs of CPU an iteration here: the most is seconds to tens of seconds of one core. */
export const IMAGE_LIMITS = Object.freeze({ maxIterations: 10_000_000, maxImageLength: 1024 });

function imageProblem(payload: Record<string, unknown>): PayloadProblem | undefined {
  const { iterations, image, failure_rate: failureRate } = payload;
  if (
    iterations !== undefined &&
    (!Number.isInteger(iterations) ||
      (iterations as number) < 0 ||
      (iterations as number) > IMAGE_LIMITS.maxIterations)
  )
    return {
      field: 'payload.iterations',
      message: `payload.iterations must be an integer from 0 to ${IMAGE_LIMITS.maxIterations}`,
    };
  if (image !== undefined && (typeof image !== 'string' || image.length > IMAGE_LIMITS.maxImageLength))
    return {
      field: 'payload.image',
      message: `payload.image must be a string of at most ${IMAGE_LIMITS.maxImageLength} characters`,
    };
  if (
    failureRate !== undefined &&
    (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate <= 1))
  )
    return { field: 'payload.failure_rate', message: 'payload.failure_rate must be a number from 0 to 1' };
  return undefined;
}

/** CPU-bound: runs on a thread of its own (cpuBound), so it never holds up the worker's event loop. */
export const imageHandler: JobHandler = {
  description:
    'Simulates CPU-heavy image processing (iterations), failing with probability failure_rate (default 0.2)',
  examplePayload: { image: 'cat.png', iterations: 200000, failure_rate: 0.2 },
  defaultTimeoutMs: 300_000,
  cpuBound: true,
  validatePayload: imageProblem,
  async run({ payload, signal, progress }) {
    const iterations = Math.min(numberIn(payload, 'iterations', 200_000), IMAGE_LIMITS.maxIterations);
    let digest = String(payload.image ?? 'image');
    for (let done = 0; done < iterations; done += 10_000) {
      signal.throwIfAborted();
      for (let i = 0; i < Math.min(10_000, iterations - done); i++)
        digest = createHash('sha1').update(digest).digest('hex');
      progress(Math.round(((done + 10_000) / iterations) * 100));
    }
    if (Math.random() < numberIn(payload, 'failure_rate', 0.2)) throw new Error('image processing failed');
    return { digest };
  },
};
