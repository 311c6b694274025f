import { randomBytes } from 'node:crypto';
import type { Db, MongoClient } from 'mongodb';
import { buildTopology, deleteTopology, type Topology } from '@retail-pulse/shared/messaging';
import { connectMongo } from '@retail-pulse/shared/mongo';

/** An isolated slice of the real services for one test file: its own queue prefix and database. */
export interface TestEnvironment {
  amqpUrl: string;
  mongoUrl: string;
  prefix: string;
  dbName: string;
  topology: Topology;
  client: MongoClient;
  db: Db;
  cleanup: () => Promise<void>;
}

/** `amqpUrl` overrides the suite's broker (the node-loss tests give the cluster's nodes). */
export async function createTestEnvironment(
  label: string,
  amqpUrl: string | undefined = process.env.AMQP_URL,
): Promise<TestEnvironment> {
  const mongoUrl = process.env.MONGO_URL;
  if (!amqpUrl || !mongoUrl) throw new Error('AMQP_URL and MONGO_URL are set by the global test setup');
  const suffix = randomBytes(4).toString('hex');
  const prefix = `rpt-${label}-${suffix}`;
  const dbName = `rpt_${label.replace(/[^a-z0-9]/gi, '_')}_${suffix}`;
  const topology = buildTopology(prefix);
  const { client, db } = await connectMongo(mongoUrl, dbName);
  return {
    amqpUrl,
    mongoUrl,
    prefix,
    dbName,
    topology,
    client,
    db,
    cleanup: async () => {
      await deleteTopology(amqpUrl, topology).catch(() => undefined);
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}
