import { type JobHandler, type PayloadProblem } from './job-handler';

const LINES_PER_PROGRESS = 50_000;

/**
 * What one analyze job may ask for. Its work is about patterns × file bytes (plus matches), so
 * each factor is bounded: the file by UPLOAD_MAX_BYTES at upload, the rest here. Lines are
 * bounded too because each costs a string and a loop turn whatever its length.
 */
export const ANALYZE_LIMITS = Object.freeze({ maxPatterns: 100, maxPatternLength: 256, maxLines: 1_000_000 });

function patternsProblem(patterns: unknown): PayloadProblem | undefined {
  const field = 'payload.patterns';
  const { maxPatterns, maxPatternLength } = ANALYZE_LIMITS;
  if (
    !Array.isArray(patterns) ||
    patterns.length === 0 ||
    !patterns.every((p) => typeof p === 'string' && p !== '')
  )
    return { field, message: 'payload.patterns must be a non-empty array of non-empty strings' };
  if (patterns.length > maxPatterns)
    return { field, message: `payload.patterns may hold at most ${maxPatterns} patterns` };
  if (patterns.some((p: string) => p.length > maxPatternLength))
    return { field, message: `each of payload.patterns may be at most ${maxPatternLength} characters` };
  return undefined;
}

function lineCount(content: Buffer): number {
  let lines = 0;
  for (let at = content.indexOf(10); at !== -1; at = content.indexOf(10, at + 1)) lines++;
  return content.length > 0 && content[content.length - 1] !== 10 ? lines + 1 : lines;
}

/**
 * Counts occurrences of each of `patterns` (plain substrings, case-sensitive) in the log file
 * uploaded with the job, line by line: `{ counts: { ERROR: 2, WARN: 1 }, lines }`.
 */
export const analyzeHandler: JobHandler = {
  description: 'Counts each of payload.patterns in the log file uploaded with the job (multipart)',
  examplePayload: { patterns: ['ERROR', 'WARN'] },
  defaultTimeoutMs: 600_000,
  cpuBound: true,
  needsFile: true,
  validatePayload: (payload) => patternsProblem(payload.patterns),
  async run({ payload, files, signal, progress }) {
    const problem = patternsProblem(payload.patterns);
    if (problem) throw new Error(problem.message);
    const patterns = payload.patterns as string[];
    if (typeof payload.file_id !== 'string') throw new Error('no file was uploaded with this job');
    const { content } = await files.read(payload.file_id);
    if (lineCount(content) > ANALYZE_LIMITS.maxLines)
      throw new Error(`the file has more than ${ANALYZE_LIMITS.maxLines} lines, the most analyze accepts`);
    const lines = content.toString('utf8').split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    const counts: Record<string, number> = Object.fromEntries(patterns.map((p) => [p, 0]));
    for (let i = 0; i < lines.length; i++) {
      for (const pattern of patterns) {
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
      }
    }
    return { counts, lines: lines.length };
  },
};
