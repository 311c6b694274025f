import { rmSync } from 'node:fs';
import { stopClusterStartedBy } from './cluster';
import { stopOwnRabbitMq } from './ownRabbitMq';

export default async function globalTeardown(): Promise<void> {
  if (process.env.RP_TEST_RUN_ID) await stopClusterStartedBy(process.env.RP_TEST_RUN_ID);
  const started = globalThis.retailPulseTestInfra;
  if (!started) return;
  if (started.stopBrokerWatch) console.log(`[test teardown] ${started.stopBrokerWatch()}`);
  if (started.ownRabbitMq) await stopOwnRabbitMq();
  await Promise.all(started.containers.map((container) => container.stop()));
  const ferretDb = started.ferretDb;
  if (ferretDb && ferretDb.exitCode === null && ferretDb.signalCode === null) {
    await new Promise<void>((resolve) => {
      ferretDb.once('exit', () => resolve());
      ferretDb.kill('SIGTERM');
    });
  }
  if (started.ferretDbDir) rmSync(started.ferretDbDir, { recursive: true, force: true });
}
