import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestEnvironment } from './testEnvironment';

const run = promisify(execFile);

/** Runs `npm run replay`'s command on a test environment's broker and database; its output. */
export async function runReplay(environment: TestEnvironment, args: string[] = []): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'services/projection/src/replay/cli.ts', ...args],
    {
      cwd: join(__dirname, '../..'),
      env: {
        ...process.env,
        AMQP_URL: environment.amqpUrl,
        TOPOLOGY_PREFIX: environment.prefix,
        MONGO_URL: environment.mongoUrl,
        MONGO_DB: environment.dbName,
      },
    },
  );
  return stdout;
}
