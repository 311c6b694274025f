/**
 * Moves the whole event log between installations:
 *   npm run events:export [-- <file.ndjson>]  (default: .data/exports/events-<time>.ndjson)
 *   npm run events:import -- <file.ndjson>    (into an empty installation; then `npm run replay`)
 *
 * A relative file is taken from the directory npm was run in, not the package root.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { actingOn, commonConfigShape, loadConfig } from '@retail-pulse/shared/config';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { progressReporter } from '../replay/progress';
import { exportLog, importLog, ImportRefused } from './backup';

const usage = 'usage: npm run events:export [-- <file.ndjson>] | npm run events:import -- <file.ndjson>';

const projectRoot = resolve(__dirname, '../../../..');

/** Where an export goes when no file is named: under the git-ignored data directory. */
function defaultExportFile(now = new Date()): string {
  return join(projectRoot, '.data', 'exports', `events-${now.toISOString().replace(/[:.]/g, '-')}.ndjson`);
}

async function main(): Promise<void> {
  const [command, named, ...rest] = process.argv.slice(2);
  if ((command !== 'export' && command !== 'import') || (command === 'import' && !named) || rest.length > 0) {
    console.error(usage);
    process.exit(2);
  }
  // npm runs scripts in the package root; INIT_CWD is where the user ran npm.
  const file = named ? resolve(process.env.INIT_CWD ?? process.cwd(), named) : defaultExportFile();
  if (command === 'export') mkdirSync(dirname(file), { recursive: true });
  const config = loadConfig(z.object(commonConfigShape));
  console.error(`events:${command}: ${actingOn(config, { database: true })}`);
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
