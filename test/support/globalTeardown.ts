import { stopClusterStartedBy } from './cluster';

export default async function globalTeardown(): Promise<void> {
  if (process.env.RP_TEST_RUN_ID) await stopClusterStartedBy(process.env.RP_TEST_RUN_ID);
  const started = globalThis.retailPulseTestInfra;
  if (!started) return;
  await Promise.all(started.containers.map((container) => container.stop()));
  if (started.ferretDb) started.ferretDb.kill('SIGTERM');
}
