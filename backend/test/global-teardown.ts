import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.__CONVEYOR_TEST_PG__;
  if (!embedded) return;
  await embedded.handle.stop();
  await rm(embedded.dir, { recursive: true, force: true });
}
