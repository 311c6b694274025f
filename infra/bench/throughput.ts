/**
 * The bench's throughput phase: jobs of many images submitted by 8 clients that poll each of their
 * open jobs, first submit to last terminal status, with the CPU each process used per image; and,
 * with `--import-master`, a store-master import halfway through.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { buildTopology, connectToAnyNode } from '@retail-pulse/shared/messaging';
import { parseStoreMaster } from '@retail-pulse/shared/storeMaster';
import type { ImageServer } from '../../test/support/imageServer';
import { projectRoot } from '../local/services';
import { job, percentile, round1, say, sleep, submit } from './clients';
import { historyStores } from './history';
import { historyMasterFile } from './historyReads';
import { cpuAccounts, cpuBetween, cpuMsPer, type BenchStack, type Service } from './stack';

export interface ThroughputOptions {
  imageCount: number;
  imagesPerJob: number;
  /** How often the clients poll each open job. */
  pollMs: number;
  amqpUrl: string;
  /** `--import-master`: the master to import halfway (a file, or generated when absent). */
  masterToImport?: string;
}

/** Phase 1: jobs of many images, first submit to last terminal status. */
export async function throughput(stack: BenchStack, images: ImageServer, options: ThroughputOptions) {
  const { imageCount, imagesPerJob, pollMs, amqpUrl, masterToImport } = options;
  const jobs = Math.ceil(imageCount / imagesPerJob);
  const submittedAt = new Map<number, number>();
  const settledAt = new Map<number, number>();
  const started = Date.now();
  const cpuBefore = cpuAccounts(stack);
  const processors = stack.services.filter((service) => service.name.startsWith('image-processor'));
  const projection = stack.services.find((service) => service.name === 'projection')!;
  const queue = buildTopology(stack.prefix).names.imageRequestsQueue;
  const { connection } = await connectToAnyNode(amqpUrl);
  const channel = await connection.createChannel();
  let maxQueued = 0;
  let sampling = true;
  const sampler = (async () => {
    let last = { at: Date.now(), processed: 0, folded: 0 };
    while (sampling) {
      await sleep(2_000);
      const processed = await processedNow(processors);
      const folded = (
        (await (await fetch(`http://127.0.0.1:${projection.port}/health`)).json()) as { eventsFolded: number }
      ).eventsFolded;
      const queued = (await channel.checkQueue(queue)).messageCount;
      maxQueued = Math.max(maxQueued, queued);
      const seconds = (Date.now() - last.at) / 1000;
      say(
        `processed ${Math.round((processed - last.processed) / seconds)} images/s, projection folded ` +
          `${Math.round((folded - last.folded) / seconds)} events/s, ${queued} messages of image requests queued, ` +
          `${submittedAt.size}/${jobs} jobs submitted, ${settledAt.size} settled`,
      );
      last = { at: Date.now(), processed, folded };
    }
  })();
  const poll = (async () => {
    while (settledAt.size < jobs) {
      await sleep(pollMs);
      const open = [...submittedAt.keys()].filter((jobId) => !settledAt.has(jobId));
      await Promise.all(
        open.map(async (jobId) => {
          const status = await stack.api.statusOf(jobId);
          if (status && status !== 'ongoing') settledAt.set(jobId, Date.now());
        }),
      );
    }
  })();
  const importing = masterToImport ? importMasterMidway(stack, processors, imageCount, masterToImport) : undefined;
  const pending = Array.from({ length: jobs }, (_, index) => index);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
        const size = Math.min(imagesPerJob, imageCount - index * imagesPerJob);
        const { jobId } = await submit(stack.api, job(images, size, `j${index}`));
        submittedAt.set(jobId, Date.now());
      }
    }),
  );
  await poll;
  const storeMasterImport = await importing;
  const cpuAfter = cpuAccounts(stack);
  sampling = false;
  await sampler;
  await connection.close();
  const finished = Math.max(...settledAt.values());
  // Where the two cores went: CPU milliseconds per image, by process, over the whole phase.
  const { byProcess: cpuMsPerImage, total: cpuMsPerImageTotal } = cpuMsPer(cpuBefore, cpuAfter, imageCount, round1);
  const latencies = [...settledAt].map(([jobId, at]) => at - submittedAt.get(jobId)!);
  return {
    jobs,
    images: imageCount,
    seconds: (finished - started) / 1000,
    imagesPerSecond: Math.round(imageCount / ((finished - started) / 1000)),
    jobLatencyP50Ms: percentile(latencies, 50),
    jobLatencyP99Ms: percentile(latencies, 99),
    maxImageRequestMessagesQueued: maxQueued,
    cpuMsPerImage,
    cpuMsPerImageTotal,
    ...(storeMasterImport ? { storeMasterImport } : {}),
  };
}

/** Images the processors have settled so far, from their /health details. */
async function processedNow(processors: Service[]): Promise<number> {
  const counts = await Promise.all(
    processors.map(async (service) => {
      const health = (await (await fetch(`http://127.0.0.1:${service.port}/health`)).json()) as { processed: number };
      return health.processed;
    }),
  );
  return counts.reduce((sum, value) => sum + value, 0);
}

/**
 * The `--import-master` phase: the throughput from 15 % to 30 % of the images, then `npm run
 * stores:import` of a ~5,000-store master (one that keeps the stores the bench's jobs use, so the
 * images still succeed), then the throughput over the next 15 % of the images. Early, while the
 * work queue is deep, so both windows measure the processor and not the submitting clients.
 */
async function importMasterMidway(stack: BenchStack, processors: Service[], imageCount: number, master: string) {
  const at = async (share: number) => {
    for (;;) {
      const processed = await processedNow(processors);
      if (processed >= imageCount * share) return { at: Date.now(), processed, cpu: cpuAccounts(stack) };
      await sleep(100);
    }
  };
  type Reading = Awaited<ReturnType<typeof at>>;
  const rate = (from: Reading, to: Reading) => Math.round((to.processed - from.processed) / ((to.at - from.at) / 1000));
  // CPU per image of the processor and the database: the figures a per-image database read would move.
  const cpuMsPerImage = (from: Reading, to: Reading) => {
    const used = cpuBetween(from.cpu, to.cpu, (seconds) => round1((seconds * 1000) / (to.processed - from.processed)));
    return { 'image-processor': used['image-processor-1'] ?? null, mongodb: used.mongodb ?? null };
  };
  const file = masterFile(master);
  const a = await at(0.15);
  const b = await at(0.3);
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'shared/src/storeMaster/importCli.ts', file], {
    cwd: projectRoot,
    env: { ...process.env, ...stack.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = { at: Date.now(), processed: await processedNow(processors), cpu: cpuAccounts(stack) };
  const d = await at(c.processed / imageCount + 0.15);
  const result = {
    file,
    output: output.trim().split('\n'),
    importMs: c.at - b.at,
    imagesPerSecondBefore: rate(a, b),
    imagesPerSecondAfter: rate(c, d),
    cpuMsPerImageBefore: cpuMsPerImage(a, b),
    cpuMsPerImageAfter: cpuMsPerImage(c, d),
  };
  say(`store master import: ${JSON.stringify(result)}`);
  return result;
}

/** The master to import with the bench's sample stores added, written to a scratch file. */
function masterFile(master: string): string {
  return historyMasterFile(existsSync(master) ? parseStoreMaster(readFileSync(master)) : historyStores());
}
