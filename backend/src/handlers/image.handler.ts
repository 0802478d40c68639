import { createHash } from 'node:crypto';
import { type JobHandler, numberIn } from './job-handler';

/** CPU-bound: hashes in chunks, yielding between them so heartbeats and aborts still get through. */
export const imageHandler: JobHandler = {
  description:
    'Simulates CPU-heavy image processing (iterations), failing with probability failure_rate (default 0.2)',
  examplePayload: { image: 'cat.png', iterations: 200000, failure_rate: 0.2 },
  async run({ payload, signal, progress }) {
    const iterations = numberIn(payload, 'iterations', 200_000);
    let digest = String(payload.image ?? 'image');
    for (let done = 0; done < iterations; done += 10_000) {
      signal.throwIfAborted();
      for (let i = 0; i < Math.min(10_000, iterations - done); i++)
        digest = createHash('sha1').update(digest).digest('hex');
      progress(Math.round(((done + 10_000) / iterations) * 100));
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (Math.random() < numberIn(payload, 'failure_rate', 0.2)) throw new Error('image processing failed');
    return { digest };
  },
};
