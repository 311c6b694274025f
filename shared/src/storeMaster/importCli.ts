import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { actingOn } from '../config/actingOn';
import { commonConfigShape, loadConfig } from '../config/config';
import { createLogger } from '../config/logger';
import { storeMasterImported } from '../contracts/storeMasterNotice';
import { Broker } from '../messaging/broker';
import { buildTopology } from '../messaging/topology';
import { collectionNames, connectMongo } from '../mongo/database';
import { IdLookups } from '../mongo/idLookups';
import { STORE_MASTER_POLL_MS } from './current';
import { parseStoreMaster } from './parse';
import { StoreMasterVersions } from './repository';

/** How long the command waits for the broker to take the notice before leaving the switch to the periodic read. */
const ANNOUNCE_TIMEOUT_MS = 10_000;

/**
 * `npm run stores:import -- <file.csv>`: makes the file the current store master, as a new
 * version, and tells every running image-processor and status API, which switch to it at once.
 */
async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npm run stores:import -- <store-master.csv>');
    process.exit(2);
  }
  const config = loadConfig(z.object(commonConfigShape));
  console.error(`stores:import: ${actingOn(config, { database: true, broker: true })}`);
  const stores = parseStoreMaster(await readFile(file));
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  try {
    const started = Date.now();
    // stdout is the command's answer; a handful of version documents needs no lookup index to read fast.
    const logger = createLogger('stores:import', 'error');
    await new IdLookups(db, logger, config.FERRETDB_SQLITE_DIR).ensure([collectionNames.storeMasters]);
    const versions = new StoreMasterVersions(db);
    await versions.migrateLegacy();
    const result = await versions.importVersion(stores, file);
    const ms = Date.now() - started;
    if (!result.created) {
      console.log(`store master version ${result.version} (${result.stores} stores) from ${file} is already current`);
      return;
    }
    console.log(
      `imported ${result.stores} stores in ${result.areas} areas from ${file} as store master version ${result.version} (${result.removed} removed) in ${ms} ms`,
    );
    console.log(await announce(config, result));
  } finally {
    await client.close();
  }
}

/** Publishes the notice; without a broker the processes still switch, at their next read of the current version. */
async function announce(
  config: z.infer<z.ZodObject<typeof commonConfigShape>>,
  version: { version: number; stores: number; checksum: string },
): Promise<string> {
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const broker = new Broker(config.AMQP_URL, topology, createLogger('stores:import', 'silent'), {
    connectionName: 'stores:import',
  });
  const later = `running services switch at their next check (within ${STORE_MASTER_POLL_MS / 1000} s by default)`;
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ANNOUNCE_TIMEOUT_MS / 1000} s`)), ANNOUNCE_TIMEOUT_MS);
    });
    try {
      await Promise.race([
        (async () => {
          await broker.start();
          await broker.publish(topology.names.storeMasterExchange, '', storeMasterImported(version));
        })(),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
    return `announced on ${topology.names.storeMasterExchange}: running services switch now`;
  } catch (error) {
    return `not announced (${(error as Error).message}); ${later}`;
  } finally {
    await broker.close().catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
