import { type JobHandler } from './job-handler';

const LINES_PER_PROGRESS = 50_000;

/**
 * Counts occurrences of each of `patterns` (plain substrings, case-sensitive) in the log file
 * uploaded with the job, line by line: `{ counts: { ERROR: 2, WARN: 1 }, lines }`.
 */
export const analyzeHandler: JobHandler = {
  description: 'Counts each of payload.patterns in the log file uploaded with the job (multipart)',
  examplePayload: { patterns: ['ERROR', 'WARN'] },
  async run({ payload, files, signal, progress }) {
    const patterns = payload.patterns;
    if (
      !Array.isArray(patterns) ||
      patterns.length === 0 ||
      !patterns.every((p) => typeof p === 'string' && p !== '')
    )
      throw new Error('payload.patterns must be a non-empty array of non-empty strings');
    if (typeof payload.file_id !== 'string') throw new Error('no file was uploaded with this job');
    const { content } = await files.read(payload.file_id);
    const lines = content.toString('utf8').split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    const counts: Record<string, number> = Object.fromEntries(patterns.map((p: string) => [p, 0]));
    for (let i = 0; i < lines.length; i++) {
      for (const pattern of patterns as string[]) {
        for (
          let at = lines[i].indexOf(pattern);
          at !== -1;
          at = lines[i].indexOf(pattern, at + pattern.length)
        )
          counts[pattern]++;
      }
      if ((i + 1) % LINES_PER_PROGRESS === 0) {
        signal.throwIfAborted();
        progress(Math.round(((i + 1) / lines.length) * 100));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { counts, lines: lines.length };
  },
};
