import { type JobHandler, sleep } from './job-handler';

export const emailHandler: JobHandler = {
  description: 'Simulates sending an email (to, subject)',
  examplePayload: { to: 'user@example.com', subject: 'Welcome' },
  defaultTimeoutMs: 60_000,
  async run({ payload, signal }) {
    await sleep(100, signal);
    return { sent_to: payload.to ?? null, message_id: `msg-${Date.now().toString(36)}` };
  },
};
