import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { Db } from 'mongodb';
import { createLogger } from '@retail-pulse/shared/config';
import { webhookRequestedSchema, type DomainEvent, type WebhookRequested } from '@retail-pulse/shared/contracts';
import { Broker } from '@retail-pulse/shared/messaging';
import { collectionNames } from '@retail-pulse/shared/mongo';
import {
  jobDetailOf,
  jobsKeys,
  ProjectionState,
  readModelCollections,
  type JobDocument,
} from '@retail-pulse/shared/readModels';
import { aSettledJob } from '../../../../test/support/builders';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { until } from '../../../../test/support/until';
import { exportLog, importLog } from '../backup/backup';
import { Projector } from '../projector';
import type { WebhookDue, WebhookOutboxPort } from '../readModel';
import { rebuild } from '../replay/rebuild';
import { SWEEP_AFTER_MS, WebhookOutbox, type WebhookOutboxDocument } from './outbox';

/**
 * The webhook outbox on real RabbitMQ and a real MongoDB-protocol server: a job that settles with
 * a callback URL gets one delivery command whose body is its stored detail; nothing is lost when
 * the broker is away or the process dies between storing the webhook and the settlement; and no
 * refold — a restart from scratch, a replay's rebuild and switch, an import — sends one again.
 */
const logger = createLogger('outbox-test', 'silent' as 'info');
const CALLBACK = 'https://receiver.example/hooks/rp';

let environment: TestEnvironment;
let broker: Broker;
let connection: ChannelModel;
let channel: Channel;
beforeEach(async () => {
  environment = await createTestEnvironment('outbox');
  broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'outbox-test' });
  await broker.start();
  connection = await amqp.connect(environment.amqpUrl);
  channel = await connection.createChannel();
});
afterEach(async () => {
  await connection.close();
  await broker.close();
  await environment.cleanup();
});

const outboxOf = (db: Db, options: { broker?: Broker; clock?: () => Date } = {}) =>
  new WebhookOutbox(db, new ProjectionState(db), { broker: options.broker ?? broker, logger, clock: options.clock });

async function projectorWith(webhooks: WebhookOutboxPort, db: Db = environment.db): Promise<Projector> {
  const projector = new Projector(db, logger, { webhooks });
  await projector.start();
  return projector;
}

const withCallback = (jobId: number, images: number, failAt: number[] = []): DomainEvent[] =>
  aSettledJob(jobId, images, failAt, { callbackUrl: `${CALLBACK}?job=${jobId}` });

/** Every delivery command queued now, taken off the queue. */
async function takeCommands(): Promise<WebhookRequested[]> {
  const commands: WebhookRequested[] = [];
  for (let message; (message = await channel.get(environment.topology.names.webhooksQueue, { noAck: true }));) {
    commands.push(webhookRequestedSchema.parse(JSON.parse(message.content.toString())));
  }
  return commands;
}

const outboxDocuments = () =>
  environment.db.collection<WebhookOutboxDocument>(collectionNames.webhookOutbox).find({}).toArray();

async function storedJob(jobId: number, generation = 1, db: Db = environment.db): Promise<JobDocument> {
  const document = await db.collection<JobDocument>(readModelCollections(generation).jobs).findOne({
    _id: jobsKeys.job(jobId),
  });
  return document!;
}

/** Waits until the outbox is empty — every command confirmed by the broker — and takes the commands. */
async function commandsOnceSent(): Promise<WebhookRequested[]> {
  await until(async () => (await outboxDocuments()).length === 0, { what: 'the outbox emptied', timeoutMs: 10_000 });
  return takeCommands();
}

describe('the webhook outbox', () => {
  it('hands one delivery command per settled job with a callback URL to the broker, its body the stored detail', async () => {
    const projector = await projectorWith(outboxOf(environment.db));
    const [completed, failed, silent] = [withCallback(1, 2), withCallback(2, 2, [1]), aSettledJob(3, 1)];
    await projector.project([completed[0]!, failed[0]!, silent[0]!, completed[1]!]);
    expect(await outboxDocuments()).toEqual([]);
    await projector.project([completed[2]!, ...failed.slice(1), silent[1]!]);

    const commands = (await commandsOnceSent()).sort((a, b) => a.data.jobId - b.data.jobId);
    expect(commands.map((command) => [command.data.jobId, command.data.url, command.data.attempt])).toEqual([
      [1, `${CALLBACK}?job=1`, 1],
      [2, `${CALLBACK}?job=2`, 1],
    ]);
    for (const command of commands) {
      const body = JSON.parse(command.data.body) as Record<string, unknown>;
      const { webhook_id: webhookId, ...detail } = body;
      expect(webhookId).toBe(command.data.webhookId);
      // The detail the jobs routes answer from the same document: terminal, counts and times.
      expect(detail).toEqual(jobDetailOf(await storedJob(command.data.jobId)));
      expect(Object.keys(body)[0]).toBe('webhook_id');
    }
    expect(JSON.parse(commands[1]!.data.body)).toMatchObject({ status: 'failed', images: { failed: 1 } });
    expect(await new ProjectionState(environment.db).webhooksThrough()).toBeGreaterThan(0);
  });

  it('keeps a webhook while the broker is away, and a sweep sends it once it is back', async () => {
    const away = new Broker('amqp://guest:guest@127.0.0.1:1', environment.topology, logger, {
      connectionName: 'outbox-test-away',
      publishWaitMs: 200,
    });
    void away.start();
    try {
      const projector = await projectorWith(outboxOf(environment.db, { broker: away }));
      await projector.project(withCallback(4, 1));
      expect((await storedJob(4)).state).toBe('completed');
      // The hand-over failed; the outbox keeps the webhook, the settlement is stored all the same.
      await until(async () => (await outboxDocuments()).length === 1, { what: 'the webhook kept', timeoutMs: 10_000 });
      expect(await takeCommands()).toEqual([]);

      // Not yet due for a sweep: young entries are the folds' to send.
      await outboxOf(environment.db).sweep();
      expect(await outboxDocuments()).toHaveLength(1);
      const later = new Date(Date.now() + SWEEP_AFTER_MS + 1_000);
      await outboxOf(environment.db, { clock: () => later }).sweep();
      expect((await commandsOnceSent()).map((command) => command.data.jobId)).toEqual([4]);
    } finally {
      await away.close();
    }
  });

  it('loses no webhook to a crash between storing it and storing the settlement', async () => {
    const real = outboxOf(environment.db);
    // The process dies right after the outbox took the webhook, before the jobs model wrote the job.
    const dying: WebhookOutboxPort = {
      record: async (due: WebhookDue[]) => {
        await real.record(due);
        throw new Error('killed');
      },
    };
    const crashed = await projectorWith(dying);
    await expect(crashed.project(withCallback(5, 2))).rejects.toThrow('killed');
    expect((await storedJob(5))?.state ?? 'not stored').not.toBe('completed');
    expect(await outboxDocuments()).toHaveLength(1);

    // The restart folds what the log holds, stores the settlement, and sends what the outbox kept.
    const restarted = outboxOf(environment.db);
    await projectorWith(restarted);
    expect((await storedJob(5)).state).toBe('completed');
    await restarted.flush();
    const commands = await commandsOnceSent();
    expect(commands.map((command) => command.data.jobId)).toEqual([5]);
    const { webhook_id: _id, ...detail } = JSON.parse(commands[0]!.data.body) as Record<string, unknown>;
    expect(detail).toEqual(jobDetailOf(await storedJob(5)));
  });

  it('sends nothing again when old settlements are folded again: from scratch, in a replay and its switch', async () => {
    const projector = await projectorWith(outboxOf(environment.db));
    await projector.project(withCallback(6, 2));
    expect((await commandsOnceSent()).map((command) => command.data.jobId)).toEqual([6]);

    // A replay rebuilds the jobs model while job 7 settles in the served one (and is announced there).
    const rebuilt = await rebuild(environment.db, logger, { models: ['jobs'] });
    await projector.project(withCallback(7, 1));
    expect((await commandsOnceSent()).map((command) => command.data.jobId)).toEqual([7]);
    // The switch folds job 7 into the rebuilt generation: settled there too, announced no more.
    const now = Date.now();
    await projector.switchGenerations({
      type: 'SwitchReadModels',
      version: 1,
      data: {
        generations: { jobs: rebuilt.generation },
        requestedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 60_000).toISOString(),
      },
    });
    expect((await storedJob(7, rebuilt.generation)).state).toBe('completed');

    // A restart with the jobs model gone folds every job from the first event, and settles each again.
    await environment.db.collection(readModelCollections(rebuilt.generation).jobs).drop();
    await new ProjectionState(environment.db).saveCheckpoint('jobs', rebuilt.generation, 0);
    const restarted = outboxOf(environment.db);
    await projectorWith(restarted);
    expect((await storedJob(6, rebuilt.generation)).state).toBe('completed');
    await restarted.flush();
    expect(await outboxDocuments()).toEqual([]);
    expect(await takeCommands()).toEqual([]);

    // A job settling now is announced as before.
    const again = await projectorWith(outboxOf(environment.db));
    await again.project(withCallback(8, 1));
    expect((await commandsOnceSent()).map((command) => command.data.jobId)).toEqual([8]);
  });

  it('sends nothing for the jobs of an imported log', async () => {
    const projector = await projectorWith(outboxOf(environment.db));
    await projector.project([...withCallback(9, 1), ...withCallback(10, 2, [0])]);
    expect(await commandsOnceSent()).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), 'rp-outbox-'));
    const restored = environment.client.db(`${environment.dbName}_restored`);
    try {
      await exportLog(environment.db, join(dir, 'log.ndjson'));
      await importLog(restored, join(dir, 'log.ndjson'));
      // The restored installation's projection folds the whole imported log into its read models.
      const outbox = outboxOf(restored);
      await projectorWith(outbox, restored);
      expect((await storedJob(10, 1, restored)).state).toBe('failed');
      await outbox.flush();
      expect(await restored.collection(collectionNames.webhookOutbox).countDocuments({})).toBe(0);
      expect(await takeCommands()).toEqual([]);
    } finally {
      await restored.dropDatabase();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
