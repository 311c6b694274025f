/**
 * Moves the whole event log between installations:
 *   npm run events:export -- <file.ndjson>
 *   npm run events:import -- <file.ndjson>    (into an empty installation; then `npm run replay`)
 */
import { z } from 'zod';
import { commonConfigShape, loadConfig } from '@retail-pulse/shared/config';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { progressReporter } from '../replay/progress';
import { exportLog, importLog, ImportRefused } from './backup';

const usage = 'usage: npm run events:export -- <file.ndjson> | npm run events:import -- <file.ndjson>';

async function main(): Promise<void> {
  const [command, file, ...rest] = process.argv.slice(2);
  if ((command !== 'export' && command !== 'import') || !file || rest.length > 0) {
    console.error(usage);
    process.exit(2);
  }
  const config = loadConfig(z.object(commonConfigShape));
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  const started = Date.now();
  try {
    if (command === 'export') {
      const progress = progressReporter('export', 'events');
      const events = await exportLog(db, file, (done, total) => progress.update(done, total));
      progress.stop();
      console.log(`exported ${events} events to ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } else {
      const progress = progressReporter('import', 'events');
      const events = await importLog(db, file, (done, total) => progress.update(done, total));
      progress.stop();
      console.log(
        `imported ${events} events from ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          'run `npm run replay` to rebuild the read models from them',
      );
    }
  } catch (error) {
    if (error instanceof ImportRefused || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`events:${command}: ${(error as Error).message}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
