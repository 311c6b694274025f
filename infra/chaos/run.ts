/**
 * `npm run chaos`: runs at least 5,000 images through the whole stack while it kill -9s the
 * image-processor and the projection, kill -9s the RabbitMQ node leading the image work queue and
 * later the one leading the projection's event queue (each restarted), kills the MongoDB-protocol
 * server, and serves hostile images; then checks that every accepted job reached the right
 * terminal state, every image is recorded exactly once, and the read models equal a fresh replay.
 * It prints each service's time to resume after each broker fault and the duplicates absorbed.
 *
 *   npm run chaos -- [--jobs 250] [--images-per-job 20] [--lose-node]
 *
 * With --lose-node the node leading the image work queue is killed and left down for the rest of
 * the run (two of three nodes carry it), and there is no second broker fault.
 *
 * Every fault lands on something the run owns: the project's three-node RabbitMQ cluster
 * (started, or reused when already running; infra/local/rabbitCluster.ts) and its own FerretDB on
 * 127.0.0.1:27018 (data in .data/ferretdb-chaos). The machine's RabbitMQ on 127.0.0.1:5672 is
 * never touched: the run probes it every second and fails if a probe that should pass does not.
 */
import { loggedEvents } from '../../test/support/eventLog';
import { imageRecordsPerJob } from '../../test/support/imageRecords';
import { type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@retail-pulse/shared/config';
import { connectToAnyNode } from '@retail-pulse/shared/messaging';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { hashReadModels } from '../../services/projection/src/replay/contentHash';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { startImageServer } from '../../test/support/imageServer';
import { describeStack, startStack, type ServiceName } from '../../test/support/stack';
import { createTestEnvironment } from '../../test/support/testEnvironment';
import {
  clusterAmqpUrl,
  clusterNodes,
  ensureRabbitCluster,
  killNode,
  nodeRunning,
  queueLeader,
  startNode,
  stopNodes,
  type ClusterNode,
} from '../local/rabbitCluster';
import { ensureFerretDb, projectRoot, waitForPort } from '../local/services';
import { watchMachineRabbitMq, within } from './measures';
import { plan, type PlannedJob } from './plan';
import { sayFindings } from './report';
import { StackSampler } from './sampler';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '250' },
    'images-per-job': { type: 'string', default: '20' },
    'lose-node': { type: 'boolean', default: false },
    burst: { type: 'string', default: '8' },
  },
});
/** The second scenario: the work queue's leader is killed and stays down until the checks are done. */
const loseNode = values['lose-node'];
const jobCount = Number(values.jobs);
const imagesPerJob = Number(values['images-per-job']);
/**
 * Jobs submitted at once, then a pause of 150 ms per job: clients that submit together, so the
 * ingest sends some of them several to a message (JobSubmissions) through the faults as well.
 */
const burst = Number(values.burst);
const CHAOS_PORT = 27018;
const dataDir = join(projectRoot, '.data', 'ferretdb-chaos');
const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 23)} [chaos] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Longest wait for one answer of the stack. A service hung on a backing service that no longer
 * answers (FerretDB deadlocked once after its restart, 2026-12-02) must show as unsettled jobs at
 * the deadline, not stall the run forever.
 */
const REQUEST_TIMEOUT_MS = 10_000;
/** A job whose submit is refused this long is not tried again, nor any after it (the run fails). */
const SUBMIT_GIVE_UP_MS = 120_000;

async function main(): Promise<void> {
  const started = Date.now();
  const machineRabbitMq = watchMachineRabbitMq(say);
  const startedNodes = await ensureRabbitCluster(say);
  rmSync(dataDir, { recursive: true, force: true });
  let ferretDb: ChildProcess | undefined = await ensureFerretDb(say, dataDir, CHAOS_PORT);
  if (!ferretDb) throw new Error(`port ${CHAOS_PORT} is taken; the chaos run needs its own FerretDB there`);
  const amqpUrl = clusterAmqpUrl();
  process.env.MONGO_URL = `mongodb://127.0.0.1:${CHAOS_PORT}`;
  const environment = await createTestEnvironment('chaos', amqpUrl);
  const images = await startImageServer();
  const stack = await startStack(environment, {
    LOG_LEVEL: 'warn',
    GPU_DELAY_MIN_MS: '100',
    GPU_DELAY_MAX_MS: '400',
    IMAGE_MAX_ATTEMPTS: '3',
    IMAGE_TIMEOUT_MS: '2000',
    IMAGE_CONNECT_TIMEOUT_MS: '1000',
    IMAGE_MAX_BYTES: String(4 * 1024 * 1024),
    RATE_LIMIT_PER_SECOND: '0',
  });

  // Like `npm start`'s supervisor: a service that dies is started again; deaths we did not cause are counted.
  const expectedDeaths = new Set<string>();
  const unexpectedDeaths: string[] = [];
  let stopping = false;
  const watch = (name: ServiceName) => {
    stack.services.get(name)!.child.once('exit', (code, signal) => {
      if (stopping) return;
      if (!expectedDeaths.delete(name)) unexpectedDeaths.push(`${name} (${signal ?? `code ${code}`})`);
      void (async () => {
        for (;;) {
          try {
            await stack.start(name);
            watch(name);
            return;
          } catch {
            await sleep(1_000);
          }
        }
      })();
    });
  };
  (['gateway', 'ingest', 'status-api', 'projection', 'image-processor'] as const).forEach(watch);
  const kill9 = (name: ServiceName) => {
    expectedDeaths.add(name);
    stack.services.get(name)!.child.kill('SIGKILL');
    say(`kill -9 ${name}`);
  };

  // Progress of every service, sampled every 100 ms, and what their health says they absorbed.
  const sampler = new StackSampler(stack);
  const { progress, absorbed } = sampler;
  sampler.start();

  const jobs = plan(images.baseUrl, { jobs: jobCount, imagesPerJob });
  const accepted = new Map<number, PlannedJob>();
  let refusedAttempts = 0;
  const submitOne = async (job: PlannedJob, givingUpAt: number): Promise<boolean> => {
    for (;;) {
      if (Date.now() > givingUpAt) return false;
      const answer = await fetch(`${stack.baseUrl}/api/submit`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job.body),
      }).catch(() => undefined);
      if (answer?.status === 201) {
        accepted.set(((await answer.json()) as { job_id: number }).job_id, job);
        sampler.submitsAccepted++;
        return true;
      }
      refusedAttempts++; // 503 while a backing service restarts, or the gateway itself restarting
      await sleep(500);
    }
  };
  const submitAll = async () => {
    for (let start = 0; start < jobs.length; start += burst) {
      const givingUpAt = Date.now() + SUBMIT_GIVE_UP_MS;
      const taken = await Promise.all(jobs.slice(start, start + burst).map((job) => submitOne(job, givingUpAt)));
      if (taken.includes(false)) {
        say(`submits refused for ${SUBMIT_GIVE_UP_MS / 1000} s; giving up on the ${jobs.length - accepted.size} left`);
        return;
      }
      await sleep(150 * burst);
    }
  };
  // Status polls all along, as clients would make: the status API's progress is its answers.
  let polling = true;
  const pollStatus = (async () => {
    while (polling) {
      const jobId = accepted.size > 0 ? [...accepted.keys()].at(-1)! : 1;
      const answer = await fetch(`${stack.baseUrl}/api/status?jobid=${jobId}`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).catch(() => undefined);
      if (answer?.status === 200) sampler.statusAnswers++;
      await answer?.arrayBuffer().catch(() => undefined);
      await sleep(100);
    }
  })();

  const brokerFaults: Array<{ fault: string; at: number; retriesForwardedBefore: number }> = [];
  let lostNode: ClusterNode | undefined;
  const killLeaderOf = async (queue: string, label: string, restart: boolean) => {
    const leader = await queueLeader(queue);
    const at = Date.now();
    await killNode(leader);
    brokerFaults.push({
      fault: `kill -9 ${leader.name} (leader of ${label})`,
      at,
      retriesForwardedBefore: absorbed.retriesForwarded.total,
    });
    if (!restart) {
      say(`kill -9 RabbitMQ node ${leader.name}, leader of ${label}; it stays down until the checks are done`);
      lostNode = leader;
      return;
    }
    say(`kill -9 RabbitMQ node ${leader.name}, leader of ${label}; restarting it 5 s later`);
    await sleep(5_000);
    await startNode(leader);
    say(`${leader.name} is back after ${((Date.now() - at) / 1000).toFixed(1)} s`);
  };
  const chaos = async () => {
    await sleep(2_000);
    kill9('image-processor');
    await sleep(3_000);
    kill9('projection');
    await sleep(5_000);
    await killLeaderOf(environment.topology.names.imageRequestsQueue, 'the image work queue', !loseNode);
    await sleep(3_000);
    say('kill -9 the MongoDB-protocol server (FerretDB), restart it 3 s later');
    ferretDb!.kill('SIGKILL');
    await sleep(3_000);
    ferretDb = await ensureFerretDb(say, dataDir, CHAOS_PORT);
    await waitForPort(CHAOS_PORT, 30_000);
    await sleep(10_000);
    if (!loseNode) {
      await killLeaderOf(environment.topology.names.projectionQueue, 'the projection’s event queue', true);
      await sleep(5_000);
    }
    kill9('image-processor');
  };
  say(`submitting ${jobs.length} jobs of ${imagesPerJob} images while the chaos runs`);
  await Promise.all([submitAll(), chaos()]);

  say(`${accepted.size} jobs accepted; waiting for every one to settle`);
  const outcomes = new Map<number, { status: string; error?: unknown[] }>();
  const deadline = Date.now() + 10 * 60_000;
  while (outcomes.size < accepted.size && Date.now() < deadline) {
    for (const jobId of accepted.keys()) {
      if (Date.now() > deadline) break;
      if (outcomes.has(jobId)) continue;
      const answer = await fetch(`${stack.baseUrl}/api/status?jobid=${jobId}`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).catch(() => undefined);
      if (answer?.status !== 200) continue;
      const body = (await answer.json().catch(() => undefined)) as { status: string; error?: unknown[] } | undefined;
      if (!body) continue;
      if (body.status !== 'ongoing') outcomes.set(jobId, body);
    }
    await sleep(500);
  }
  const settledAt = Date.now();
  polling = false;
  await Promise.all([pollStatus, sampler.stop()]);

  const wrong = [...accepted].filter(([jobId, job]) => outcomes.get(jobId)?.status !== job.expected);
  const totalImages = [...accepted.values()].reduce((sum, job) => sum + job.images, 0);
  // A database that stopped answering fails the run here rather than holding it forever.
  const { perJob, settlementEvents, submittedEvents, served, fresh } = await within(
    5 * 60_000,
    'the checks in the database',
    async () => {
      const loggedTypes = (await loggedEvents(environment.db)).map(({ event }) => event.type);
      const counts = {
        perJob: await imageRecordsPerJob(environment.db),
        settlementEvents: loggedTypes.filter((type) => type === 'ImageProcessed' || type === 'ImageFailed').length,
        submittedEvents: loggedTypes.filter((type) => type === 'JobSubmitted').length,
      };
      // The served generation first: the replay builds a new one beside it.
      const served = await hashReadModels(environment.db, await new ProjectionState(environment.db).active());
      const replayed = await rebuild(environment.db, createLogger('chaos', 'error'));
      const fresh = await hashReadModels(environment.db, {
        jobStatus: replayed.generation,
        visits: replayed.generation,
        jobs: replayed.generation,
      });
      return { ...counts, served, fresh };
    },
  );
  const miscounted = [...accepted].filter(([jobId, job]) => perJob.get(jobId) !== job.images);
  const { connection } = await connectToAnyNode(amqpUrl);
  const channel = await connection.createChannel();
  const deadLetters = (await channel.checkQueue(environment.topology.names.deadLetterQueue)).messageCount;
  await connection.close();
  const nodesDown = [];
  for (const node of clusterNodes) if (!(await nodeRunning(node))) nodesDown.push(node.name);
  if (lostNode) {
    say(`starting ${lostNode.name} again, down since the first broker fault`);
    await startNode(lostNode);
  }

  // Time to resume: the longest a service went without progress in the 20 s from the kill.
  const resume = brokerFaults.map(({ fault, at }) => ({
    fault,
    secondsWithoutProgress: Object.fromEntries(
      Object.entries(progress).map(([service, series]) => [
        service,
        Number((series.longestStall(at, at + 20_000) / 1000).toFixed(1)),
      ]),
    ),
  }));
  const duplicatesAbsorbed = {
    projectionEventsAlreadyInLog: absorbed.projectionEventsReceived.total - absorbed.projectionEventsFolded.total,
    processorRedeliveries: absorbed.processorRedeliveries.total,
    processorPublishesSentAgain: absorbed.processorPublishRetries.total,
    ingestPublishesSentAgain: absorbed.ingestPublishRetries.total,
  };
  const reconnects = {
    'image-processor': absorbed.processorReconnects.total,
    ingest: absorbed.ingestReconnects.total,
  };
  const machine = await machineRabbitMq.stop();

  const figures = {
    jobsAccepted: accepted.size,
    images: totalImages,
    completed: [...outcomes.values()].filter((outcome) => outcome.status === 'completed').length,
    failed: [...outcomes.values()].filter((outcome) => outcome.status === 'failed').length,
    unsettled: accepted.size - outcomes.size,
    wrongTerminalState: wrong.length,
    imagesNotRecordedExactlyOnce: miscounted.length,
    settlementEvents,
    jobSubmittedEvents: submittedEvents,
    readModelsEqualFreshReplay: served.hash === fresh.hash,
    deadLetters,
    // Retries the image-processor moved from the delay queues back to the work queue, in all and
    // after the first broker fault (the path that stranded retries when a node was lost).
    retriesForwarded: absorbed.retriesForwarded.total,
    retriesForwardedAfterFirstFault: absorbed.retriesForwarded.total - (brokerFaults[0]?.retriesForwardedBefore ?? 0),
    submitRetries: refusedAttempts,
    // Confirmed messages of accepted jobs and the jobs in them, as the ingest's health counted them.
    ingestMessagesOfJobs: {
      messages: absorbed.ingestSubmissionMessages.total,
      jobs: absorbed.ingestSubmittedJobs.total,
    },
    unexpectedServiceDeaths: unexpectedDeaths,
    clusterNodesDownAtEnd: nodesDown,
    scenario: loseNode ? 'a node lost for good' : 'two leaders killed and restarted',
    machineRabbitMq: machine.upAtStart
      ? { probes: machine.probes, failedProbes: machine.failed }
      : 'not running at the start; not probed',
    resume,
    duplicatesAbsorbed,
    reconnects,
    secondsToSettle: Math.round((settledAt - started) / 1000),
  };
  const ok =
    accepted.size === jobs.length &&
    figures.unsettled === 0 &&
    figures.wrongTerminalState === 0 &&
    figures.imagesNotRecordedExactlyOnce === 0 &&
    settlementEvents === totalImages &&
    submittedEvents === accepted.size &&
    figures.readModelsEqualFreshReplay &&
    deadLetters === 0 &&
    nodesDown.length === (lostNode ? 1 : 0) &&
    machine.failed === 0;
  sayFindings(say, {
    wrong,
    outcomes,
    unexpectedDeaths,
    resume,
    duplicatesAbsorbed,
    retriesForwarded: figures.retriesForwarded,
    retriesForwardedAfterFirstFault: figures.retriesForwardedAfterFirstFault,
    machine,
  });

  // What each service says of itself and last logged (warnings and errors), to say where it stuck.
  if (!ok) console.log(await describeStack(stack));
  stopping = true;
  await stack.stopAll();
  await images.close();
  await environment.cleanup();
  ferretDb?.kill('SIGTERM');
  if (startedNodes.length > 0) {
    say('stopping the RabbitMQ cluster this run started');
    await stopNodes(startedNodes);
  }
  say(ok ? 'every check passed' : 'CHECKS FAILED');
  console.log(JSON.stringify(figures));
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
