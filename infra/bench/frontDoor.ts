/**
 * `npm run bench:front-door`: the submit path alone — the gateway, the ingest, RabbitMQ, the
 * database and the projection folding each JobSubmitted — with no image-processor running, so
 * nothing downstream competes for the cores. The same load as `npm run bench`'s submit phase
 * (single-visit jobs of 5 images, 64 concurrent clients), several rounds on one stack; each round
 * prints jobs/s, the p50 and p99 of a submit, how long after the last submit the projection had
 * folded them all, and each process's CPU until then. What it measures is the
 * most the front door can take on this machine, the ceiling of the full bench's submit figure.
 *
 *   npm run bench:front-door                          4 rounds of 3,000 jobs
 *   npm run bench:front-door -- --rounds 2 --jobs 5000
 */
import { parseArgs } from 'node:util';
import { startImageServer } from '../../test/support/imageServer';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL } from '../local/services';
import { percentile, round2, say, sleep } from './clients';
import { submitSmallJobs } from './loads';
import { cpuAccounts, cpuMsPer, dropDatabase, startBenchStack, type BenchStack } from './stack';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    jobs: { type: 'string', default: '3000' },
  },
});
const rounds = Number(values.rounds);
const jobsPerRound = Number(values.jobs);

/** Events and batches the projection has folded so far (its health details). */
async function folded(stack: BenchStack): Promise<{ eventsFolded: number; batchesFolded: number }> {
  const projection = stack.services.find((service) => service.name === 'projection')!;
  return (await (await fetch(`http://127.0.0.1:${projection.port}/health`)).json()) as {
    eventsFolded: number;
    batchesFolded: number;
  };
}

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
    say(`${rounds} rounds of ${jobsPerRound} single-visit jobs of 5 images, 64 concurrent clients, no processor`);
    for (let round = 1; round <= rounds; round++) {
      const cpuBefore = cpuAccounts(stack);
      const before = await folded(stack);
      const { samples, seconds } = await submitSmallJobs(stack, images, jobsPerRound, `f${round}-`);
      // The CPU counted includes the projection's folding of the round's jobs, however far behind it was.
      const submitted = performance.now();
      let after = await folded(stack);
      while (after.eventsFolded < before.eventsFolded + jobsPerRound) {
        await sleep(20);
        after = await folded(stack);
      }
      const foldLag = Math.round(performance.now() - submitted);
      const perBatch = round2(jobsPerRound / (after.batchesFolded - before.batchesFolded));
      const cpu = cpuMsPer(cpuBefore, cpuAccounts(stack), jobsPerRound, round2);
      say(
        `round ${round}: ${Math.round(jobsPerRound / seconds)} jobs/s, p50 ${percentile(samples, 50)} ms, ` +
          `p99 ${percentile(samples, 99)} ms; folded ${foldLag} ms after the last, ${perBatch} jobs per batch; CPU ms per job ${JSON.stringify(cpu.byProcess)}, in all ${cpu.total}`,
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
