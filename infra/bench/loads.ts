/**
 * The bench's load phases on a running stack: many small jobs submitted as fast as 64 clients can
 * (on a fresh ingest, then steady), the wait until they settle, then status requests at a fixed rate.
 */
import type { ImageServer } from '../../test/support/imageServer';
import { job, percentile, round1, say, sleep, submit } from './clients';
import { cpuAccounts, cpuPercent, type BenchStack } from './stack';

/** Concurrent clients of the submit load. */
const SUBMIT_CLIENTS = 64;

/**
 * Many small jobs (one visit, 5 images each), as fast as 64 concurrent clients can send them: the
 * job ids, each submit's milliseconds, and the seconds it all took. `tag` keeps the URLs distinct.
 */
export async function submitSmallJobs(stack: BenchStack, images: ImageServer, count: number, tag: string) {
  const samples: number[] = [];
  const ids: number[] = [];
  const pending = Array.from({ length: count }, (_, index) => index);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SUBMIT_CLIENTS }, async () => {
      for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
        const { jobId, ms } = await submit(stack.api, job(images, 5, `${tag}${index}`));
        samples.push(ms);
        ids.push(jobId);
      }
    }),
  );
  return { ids, samples, seconds: (performance.now() - started) / 1000 };
}

/** Phase 2: `submitSmallJobs`, with the CPU each process used meanwhile. */
async function submitLoad(stack: BenchStack, images: ImageServer, submitJobs: number, tag: string) {
  const cpuBefore = cpuAccounts(stack);
  const { ids, samples, seconds } = await submitSmallJobs(stack, images, submitJobs, tag);
  say(`submit load: CPU, % of one core: ${JSON.stringify(cpuPercent(cpuBefore, cpuAccounts(stack), seconds))}`);
  return {
    ids,
    submitRps: Math.round(submitJobs / seconds),
    p50SubmitMs: percentile(samples, 50),
    p99SubmitMs: percentile(samples, 99),
  };
}

/** Open jobs asked for at once while waiting for them to settle. */
const SETTLE_POLL_BATCH = 16;

/**
 * Resolves once every job has settled. Jobs settle about in the order they were submitted, so
 * each pass asks for the oldest open jobs, a batch at a time, and stops at the first batch still
 * holding an open job: the wait costs ~160 status reads a second, and once jobs settle a pass
 * sweeps them as fast as the status API answers. (Asking for 200 jobs one by one, then pausing,
 * as the bench did until 2026-12-03, added its own seconds to the figure: in the last ~15 s of
 * its wait the processors were idle and the reads kept FerretDB at ~70 % of a core.)
 */
async function settle(stack: BenchStack, jobIds: number[]): Promise<void> {
  const open = [...jobIds].sort((a, b) => a - b);
  while (open.length > 0) {
    for (;;) {
      const batch = open.slice(0, SETTLE_POLL_BATCH);
      const statuses = await Promise.all(batch.map((jobId) => stack.api.statusOf(jobId)));
      const stillOpen = batch.filter((_, index) => statuses[index] === undefined || statuses[index] === 'ongoing');
      open.splice(0, batch.length, ...stillOpen);
      if (stillOpen.length > 0 || open.length === 0) break;
    }
    if (open.length > 0) await sleep(100);
  }
}

/** Phase 3: status requests at a fixed rate (open loop), for 5 seconds. */
async function statusLoad(stack: BenchStack, jobIds: number[], statusRps: number) {
  const samples: number[] = [];
  const total = statusRps * 5;
  const cpuBefore = cpuAccounts(stack);
  const started = performance.now();
  const requests: Promise<void>[] = [];
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / statusRps;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const jobId = jobIds[index % jobIds.length]!;
    requests.push(
      (async () => {
        const sent = performance.now();
        await stack.api.get(`/api/status?jobid=${jobId}`);
        samples.push(performance.now() - sent);
      })(),
    );
  }
  await Promise.all(requests);
  const seconds = (performance.now() - started) / 1000;
  say(`status load: CPU, % of one core: ${JSON.stringify(cpuPercent(cpuBefore, cpuAccounts(stack), seconds))}`);
  return {
    statusRps: Math.round(total / seconds),
    statusP50Ms: percentile(samples, 50),
    statusP99Ms: percentile(samples, 99),
  };
}

/**
 * Phases 2 and 3: the submit load twice — the first is the ingest's first few thousand submits
 * (its code not yet optimised by V8: ~2× the CPU per submit, measured), the second its steady
 * state — then, once every job of both has settled, the status load on the settled jobs.
 */
export async function loadPhases(
  stack: BenchStack,
  images: ImageServer,
  options: { submitJobs: number; statusRps: number },
) {
  const { submitJobs, statusRps } = options;
  say(`submit load: ${submitJobs} single-visit jobs of 5 images, 64 concurrent clients, on a fresh ingest`);
  const cold = await submitLoad(stack, images, submitJobs, 'c');
  say(`submit load (fresh ingest): ${JSON.stringify({ ...cold, ids: undefined })}`);
  say(`submit load: ${submitJobs} more, the same way`);
  const submitted = await submitLoad(stack, images, submitJobs, 's');
  say(`submit load (steady): ${JSON.stringify({ ...submitted, ids: undefined })}`);
  say('waiting for the submit-phase jobs to settle');
  const settleStarted = performance.now();
  await settle(stack, [...cold.ids, ...submitted.ids]);
  const submitSettleSeconds = round1((performance.now() - settleStarted) / 1000);
  say(`submit-phase jobs settled ${submitSettleSeconds} s after the last submit`);
  say(`status load: ${statusRps} requests/s for 5 s`);
  const status = await statusLoad(stack, submitted.ids, statusRps);
  say(`status load: ${JSON.stringify(status)}`);
  const { ids: _ids, ...steady } = submitted;
  return {
    coldSubmitRps: cold.submitRps,
    coldP99SubmitMs: cold.p99SubmitMs,
    ...steady,
    submitSettleSeconds,
    ...status,
  };
}
