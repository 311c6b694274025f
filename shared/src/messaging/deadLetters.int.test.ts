import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker } from './broker';
import { parseDelivery } from './subscribe';
import { listDeadLetters, redriveDeadLetters, REDRIVEN_HEADER } from './deadLetters';
import { imageRequestedSchema } from '../contracts/events';

const root = resolve(__dirname, '../../..');
const run = promisify(execFile);

let environment: TestEnvironment;
let broker: Broker;
let connection: amqp.ChannelModel;
let channel: amqp.Channel;
beforeAll(async () => {
  environment = await createTestEnvironment('deadletters');
  broker = new Broker(environment.amqpUrl, environment.topology, createLogger('dead-letter-test', 'silent' as 'info'), {
    connectionName: 'dl-test',
  });
  await broker.start();
  connection = await amqp.connect(environment.amqpUrl);
  channel = await connection.createChannel();
});
afterEach(async () => {
  await broker.cancelConsumers();
  for (const queue of environment.topology.queues) await channel.purgeQueue(queue.name);
});
afterAll(async () => {
  await connection?.close();
  await broker?.close();
  await environment.cleanup();
});

const noneKept = { noSourceQueue: 0, otherQueue: 0, otherMessage: 0, redriveLimit: 0 };

/** Puts a letter in the dead-letter queue the way a consumer does: through the dead-letter exchange. */
async function deadLetter(messageId: string, sourceQueue: string, headers: Record<string, number> = {}): Promise<void> {
  await broker.publishRaw(environment.topology.names.deadLetterExchange, '', Buffer.from(`{"id":"${messageId}"}`), {
    messageId,
    headers: { 'x-rp-queue': sourceQueue, 'x-rp-reason': 'test letter', ...headers },
  });
}

const count = async (queue: string) => (await channel.checkQueue(queue)).messageCount;

async function waitForCount(queue: string, expected: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await count(queue)) !== expected) {
    if (Date.now() > deadline) throw new Error(`${queue} holds ${await count(queue)}, not ${expected}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'shared/src/messaging/deadLettersCli.ts', ...args], {
    cwd: root,
    env: { ...process.env, AMQP_URL: environment.amqpUrl, TOPOLOGY_PREFIX: environment.prefix },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('dead letters on real RabbitMQ', () => {
  it('are listed with their reason and source, then re-driven to the queue they came from', async () => {
    const { names } = environment.topology;
    await broker.publishRaw(names.workExchange, 'ImageRequested', Buffer.from('{"type":"ImageRequested"}'), {
      messageId: 'poison-1',
    });
    // A consumer that refuses the message as a poison message.
    const settled = new Promise<void>((resolveSettled) => {
      void broker.consume({
        queue: names.imageRequestsQueue,
        prefetch: 1,
        onDelivery: (delivery) => {
          const parsed = parseDelivery(delivery, imageRequestedSchema);
          if (!parsed.ok) void delivery.deadLetter(parsed.reason).then(resolveSettled);
        },
      });
    });
    await settled;
    await broker.cancelConsumers();

    const listed = await listDeadLetters(environment.amqpUrl, environment.topology, 10);
    expect(listed).toEqual([
      expect.objectContaining({
        messageId: 'poison-1',
        queue: names.imageRequestsQueue,
        reason: 'message failed validation: version: Invalid input: expected 1',
        redriven: 0,
        preview: '{"type":"ImageRequested"}',
      }),
    ]);
    // Listing leaves them in place.
    expect(await listDeadLetters(environment.amqpUrl, environment.topology, 10)).toHaveLength(1);

    expect(await redriveDeadLetters(environment.amqpUrl, environment.topology, { limit: 10 })).toEqual({
      found: 1,
      redriven: 1,
      kept: noneKept,
    });
    const back = await channel.get(names.imageRequestsQueue, { noAck: true });
    expect(back && back.content.toString()).toBe('{"type":"ImageRequested"}');
    expect(back && back.properties.headers?.['x-rp-reason']).toBeUndefined();
    expect(back && back.properties.headers?.[REDRIVEN_HEADER]).toBe(1);
    expect(await count(names.deadLetterQueue)).toBe(0);
  });

  it('re-drives exactly the letters there at the start while a consumer dead-letters them again at once', async () => {
    const { names } = environment.topology;
    const letters = 10;
    for (let index = 0; index < letters; index++) await deadLetter(`still-bad-${index}`, names.imageRequestsQueue);
    // The work is still broken: every message is dead-lettered again the moment it arrives.
    await broker.consume({
      queue: names.imageRequestsQueue,
      prefetch: 50,
      onDelivery: (delivery) => void delivery.deadLetter('still failing'),
    });

    const first = await redriveDeadLetters(environment.amqpUrl, environment.topology, { limit: 100 });
    expect(first).toEqual({ found: letters, redriven: letters, kept: noneKept });
    await waitForCount(names.deadLetterQueue, letters);
    const returned = await listDeadLetters(environment.amqpUrl, environment.topology, 100);
    expect(returned.map((letter) => letter.redriven)).toEqual(Array.from({ length: letters }, () => 1));
    expect(new Set(returned.map((letter) => letter.messageId)).size).toBe(letters);

    // Past the limit a letter stays where it is, however often the command is run.
    const second = await redriveDeadLetters(environment.amqpUrl, environment.topology, { limit: 100, maxRedrives: 1 });
    expect(second).toEqual({ found: letters, redriven: 0, kept: { ...noneKept, redriveLimit: letters } });
    // Kept letters are handed back when the command ends; the broker counts them ready a moment later.
    await waitForCount(names.deadLetterQueue, letters);
  });

  it('with --queue re-drives only the letters of that queue and keeps the others', async () => {
    const { names } = environment.topology;
    await deadLetter('image-1', names.imageRequestsQueue);
    await deadLetter('job-1', names.dispatchQueue);
    await deadLetter('image-2', names.imageRequestsQueue);
    await deadLetter('lost-1', 'a-queue-that-is-gone');

    const result = await redriveDeadLetters(environment.amqpUrl, environment.topology, {
      limit: 100,
      queue: names.imageRequestsQueue,
    });
    expect(result).toEqual({ found: 4, redriven: 2, kept: { ...noneKept, noSourceQueue: 1, otherQueue: 1 } });
    expect(await count(names.imageRequestsQueue)).toBe(2);
    expect(await count(names.dispatchQueue)).toBe(0);
    const kept = await listDeadLetters(environment.amqpUrl, environment.topology, 10);
    expect(kept.map((letter) => letter.messageId).sort()).toEqual(['job-1', 'lost-1']);
  });

  it('the command prints what it did in one line, and refuses a wrong command line with status 2', async () => {
    const { names } = environment.topology;
    await deadLetter('fresh-1', names.imageRequestsQueue);
    await deadLetter('tired-1', names.imageRequestsQueue, { [REDRIVEN_HEADER]: 3 });
    await deadLetter('job-1', names.dispatchQueue);

    const [redrive, zeroLimit, unknownQueue] = await Promise.all([
      runCli('redrive', '--queue', names.imageRequestsQueue, '--limit', '2'),
      runCli('redrive', '--limit', '0'),
      runCli('redrive', '--queue', 'rp.nowhere'),
    ]);
    expect(redrive).toEqual({
      code: 0,
      stdout: `re-drove 1 of the 3 dead letter(s) in ${names.deadLetterQueue}; kept 1: 1 re-driven 3 times already (--max-redrives 3); 1 not looked at (--limit 2)\n`,
      // Where it acted, said first; the broker's credentials are not printed.
      stderr: `dead-letters: acting on broker ${environment.amqpUrl.replace(/\/\/[^@/]*@/, '//***@')} with prefix ${environment.prefix}\n`,
    });
    expect(await count(names.imageRequestsQueue)).toBe(1);
    for (const refused of [zeroLimit, unknownQueue]) {
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^dead-letters: .+ \(usage: npm run dead-letters -- list .+\)\n$/);
    }
    expect(unknownQueue.stderr).toContain(`--queue must be one of ${names.projectionQueue}, `);
    expect(await count(names.deadLetterQueue)).toBe(2);
  });
});
