/**
 * Real services for the whole suite, in this order: AMQP_URL/MONGO_URL when set; testcontainers
 * (RabbitMQ and MongoDB images) when a Docker engine answers; otherwise the local RabbitMQ and a
 * FerretDB that this setup installs and starts if needed. No test ever mocks either.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BrokerSilentError, waitForBroker } from '../../infra/local/brokerHealth';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL, projectRoot } from '../../infra/local/services';
import { watchBroker } from './brokerWatch';
import { startOwnRabbitMq } from './ownRabbitMq';
import { freePort } from './stack';

interface Started {
  ferretDb?: ChildProcess;
  /** A RabbitMQ node of the run's own, started because the machine's did not answer. */
  ownRabbitMq?: boolean;
  /** Ends the watch on the machine's RabbitMQ and tells its peak socket count. */
  stopBrokerWatch?: () => string;
  /** The started FerretDB's data, removed at the end of the run. */
  ferretDbDir?: string;
  containers: Array<{ stop: () => Promise<unknown> }>;
}

declare global {
  var retailPulseTestInfra: Started | undefined;
}

const say = (message: string) => console.log(`[test setup] ${message}`);

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  const started: Started = { containers: [] };
  globalThis.retailPulseTestInfra = started;
  // Names what this run starts on demand (the RabbitMQ cluster), so the teardown stops only that.
  process.env.RP_TEST_RUN_ID = `${process.pid}-${Date.now()}`;
  const needAmqp = !process.env.AMQP_URL;
  const needMongo = !process.env.MONGO_URL;
  if (!needAmqp && !needMongo) return;
  if (await dockerAvailable()) {
    const { GenericContainer, Wait } = await import('testcontainers');
    if (needAmqp) {
      const rabbit = await new GenericContainer('rabbitmq:3.13-management')
        .withExposedPorts(5672)
        .withWaitStrategy(Wait.forLogMessage('Server startup complete'))
        .start();
      started.containers.push(rabbit);
      process.env.AMQP_URL = `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`;
    }
    if (needMongo) {
      const mongo = await new GenericContainer('mongo:8').withExposedPorts(27017).start();
      started.containers.push(mongo);
      process.env.MONGO_URL = `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`;
    }
    say(`using testcontainers: ${process.env.AMQP_URL} ${process.env.MONGO_URL}`);
    return;
  }
  if (needAmqp) {
    const askedForOwn = process.env.RP_TEST_OWN_RABBITMQ === '1';
    let amqpUrl = LOCAL_AMQP_URL;
    try {
      if (askedForOwn) throw new Error('RP_TEST_OWN_RABBITMQ=1 asks for a node of its own');
      await ensureRabbitMq(say);
    } catch (error) {
      if (!askedForOwn && !(error instanceof BrokerSilentError)) throw error;
      say(`${(error as Error).message}\nstarting a RabbitMQ node of this run's own beside it`);
      const own = await startOwnRabbitMq();
      started.ownRabbitMq = true;
      Object.assign(process.env, own.env);
      amqpUrl = own.amqpUrl;
      await waitForBroker(amqpUrl);
    }
    process.env.AMQP_URL = amqpUrl;
    started.stopBrokerWatch = watchBroker(amqpUrl, say);
  }
  if (needMongo) {
    // A FerretDB of this run's own, on a free port, with its data in a directory of its own: a
    // FerretDB some other checkout or run started is never used, nor stopped under it.
    const port = await freePort();
    const dataDir = join(projectRoot, '.data', 'test-ferretdb', process.env.RP_TEST_RUN_ID);
    started.ferretDb = await ensureFerretDb(say, dataDir, port);
    if (!started.ferretDb) throw new Error(`127.0.0.1:${port} was taken before this run's FerretDB could listen there`);
    started.ferretDbDir = dataDir;
    process.env.MONGO_URL = `mongodb://127.0.0.1:${port}`;
    // Where the services and tests index reads by _id (shared/src/mongo/idLookups.ts).
    process.env.FERRETDB_SQLITE_DIR = dataDir;
  }
  say(`using local services: ${process.env.AMQP_URL} ${process.env.MONGO_URL}`);
}
