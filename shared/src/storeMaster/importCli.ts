import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { actingOn } from '../config/actingOn';
import { commonConfigShape, loadConfig } from '../config/config';
import { connectMongo } from '../mongo/database';
import { parseStoreMaster } from './parse';
import { StoreMaster } from './repository';

/** `npm run stores:import -- <file.csv>`: loads a store master into MongoDB, replacing the current set. */
async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npm run stores:import -- <store-master.csv>');
    process.exit(2);
  }
  const config = loadConfig(z.object(commonConfigShape));
  console.error(`stores:import: ${actingOn(config, { database: true })}`);
  const stores = parseStoreMaster(await readFile(file));
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  try {
    const started = Date.now();
    const result = await new StoreMaster(db).replaceAll(stores);
    const areas = new Set(stores.map((store) => store.areaCode));
    console.log(
      `imported ${result.imported} stores in ${areas.size} areas from ${file} (${result.removed} removed) in ${Date.now() - started} ms`,
    );
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
