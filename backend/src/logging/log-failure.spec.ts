import { logFailure } from './log-failure';

describe('logFailure', () => {
  const recorder = () => {
    const lines: Array<[string, string, string?]> = [];
    return {
      lines,
      warn: (message: string) => lines.push(['warn', message]),
      error: (message: string, stack?: string) => lines.push(['error', message, stack]),
    };
  };

  it('writes a passing database failure as a warning, without a stack', () => {
    const logger = recorder();
    logFailure(logger, 'claim failed', Object.assign(new Error('terminating connection'), { code: '57P01' }));
    expect(logger.lines).toEqual([['warn', 'claim failed: terminating connection']]);
  });

  it('writes any other failure as an error with its stack', () => {
    const logger = recorder();
    const fault = new TypeError("Cannot read properties of undefined (reading 'id')");
    logFailure(logger, 'pruner pass failed', fault);
    expect(logger.lines).toEqual([['error', `pruner pass failed: ${fault.message}`, fault.stack]]);
  });
});
