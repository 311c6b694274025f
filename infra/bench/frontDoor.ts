/**
 * `npm run bench:front-door`: the submit path alone — the gateway, the ingest, RabbitMQ, the
 * database and the projection folding each JobSubmitted — with no image-processor running, so
 * nothing downstream competes for the cores. The same load as `npm run bench`'s submit phase
 * (single-visit jobs of 5 images, 64 concurrent clients), several rounds on one stack; each round
 * prints jobs/s, the p50 and p99 of a submit, and each process's CPU. What it measures is the
 * most the front door can take on this machine, the ceiling of the full bench's submit figure.
 *
 *   npm run bench:front-door                          4 rounds of 3,000 jobs
 *   npm run bench:front-door -- --rounds 2 --jobs 5000
 */
import { parseArgs } from 'node:util';
import { startImageServer } from '../../test/support/imageServer';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL } from '../local/services';
import { job, percentile, round2, say, submit } from './clients';
import { cpuAccounts, cpuBetween, dropDatabase, startBenchStack } from './stack';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    jobs: { type: 'string', default: '3000' },
  },
});
const rounds = Number(values.rounds);
const jobsPerRound = Number(values.jobs);
const CLIENTS = 64;

async function main(): Promise<void> {
  await ensureRabbitMq(say);
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb(say);
  const settings = {
    amqpUrl: process.env.AMQP_URL ?? LOCAL_AMQP_URL,
    mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
    delayMode: 'spec',
  } as const;
  const images = await startImageServer();
  const stack = await startBenchStack(0, settings);
  try {
    say(
      `${rounds} rounds of ${jobsPerRound} single-visit jobs of 5 images, ${CLIENTS} concurrent clients, no processor`,
    );
    for (let round = 1; round <= rounds; round++) {
      const samples: number[] = [];
      const pending = Array.from({ length: jobsPerRound }, (_, index) => index);
      const cpuBefore = cpuAccounts(stack);
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
            samples.push((await submit(stack.api, job(images, 5, `f${round}-${index}`))).ms);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const jobsPerSecond = Math.round(jobsPerRound / seconds);
      const cpuMsPerJob = cpuBetween(cpuBefore, cpuAccounts(stack), (used) => (used * 1000) / jobsPerRound);
      const totalMs = Object.values(cpuMsPerJob).reduce((sum: number, ms) => sum + (ms ?? 0), 0);
      const shown = Object.fromEntries(Object.entries(cpuMsPerJob).map(([name, ms]) => [name, ms && round2(ms)]));
      say(
        `round ${round}: ${jobsPerSecond} jobs/s, p50 ${percentile(samples, 50)} ms, p99 ${percentile(samples, 99)} ms; ` +
          `CPU ms per job ${JSON.stringify(shown)}, in all ${totalMs.toFixed(2)}`,
      );
    }
  } finally {
    await stack.stop();
    await dropDatabase(settings.mongoUrl, stack.dbName);
    await images.close();
    ferretDb?.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
