/**
 * The entry point of a handler thread (see HandlerThreads): runs one job at a time for the main
 * thread, on its own event loop. Progress, log lines and file reads go to the main thread by
 * message. The job's signal never fires here: aborting a job terminates the whole thread.
 */
import { parentPort } from 'node:worker_threads';
import { JOB_HANDLERS } from '../handlers/handler-registry';
import { type FromThread, type ToThread } from './handler-threads';

const port = parentPort!;
const fileRequests = new Map<
  number,
  { resolve(file: { filename: string; content: Buffer }): void; reject(error: Error): void }
>();
let nextRequest = 0;
const neverAborted = new AbortController().signal;

function send(message: FromThread): void {
  port.postMessage(message);
}

port.on('message', (message: ToThread) => {
  if (message.kind === 'file') {
    const request = fileRequests.get(message.requestId);
    fileRequests.delete(message.requestId);
    if (message.error !== undefined) request?.reject(new Error(message.error));
    else {
      const { buffer, byteOffset, byteLength } = message.content!;
      request?.resolve({ filename: message.filename!, content: Buffer.from(buffer, byteOffset, byteLength) });
    }
    return;
  }
  void run(message);
});

async function run({ type, jobId, payload, attempt }: Extract<ToThread, { kind: 'run' }>): Promise<void> {
  try {
    const handler = JOB_HANDLERS[type];
    if (!handler) throw new Error(`no handler for job type "${type}"`);
    const result = await handler.run({
      jobId,
      payload,
      attempt,
      signal: neverAborted,
      progress: (pct, note) => send({ kind: 'progress', pct, note }),
      logger: {
        info: (text) => send({ kind: 'log', level: 'info', text }),
        warn: (text) => send({ kind: 'log', level: 'warn', text }),
      },
      files: {
        read: (fileId) =>
          new Promise((resolve, reject) => {
            const requestId = nextRequest++;
            fileRequests.set(requestId, { resolve, reject });
            send({ kind: 'readFile', requestId, fileId });
          }),
      },
    });
    send({ kind: 'done', result: result ?? null });
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}
