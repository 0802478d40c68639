import { analyzeHandler } from './analyze.handler';
import { defaultHandler } from './default.handler';
import { emailHandler } from './email.handler';
import { failHandler } from './fail.handler';
import { imageHandler } from './image.handler';
import { type JobHandler } from './job-handler';
import { reportHandler } from './report.handler';
import { sleepHandler } from './sleep.handler';

/** Adding a job type: one file in handlers/ and one line here. */
export const JOB_HANDLERS: Readonly<Record<string, JobHandler>> = Object.freeze({
  default: defaultHandler,
  email: emailHandler,
  report: reportHandler,
  image: imageHandler,
  sleep: sleepHandler,
  analyze: analyzeHandler,
  fail: failHandler,
});
