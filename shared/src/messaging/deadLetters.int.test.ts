import amqp from 'amqplib';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker } from './broker';
import { parseDelivery } from './subscribe';
import { listDeadLetters, redriveDeadLetters } from './deadLetters';
import { imageRequestedSchema } from '../contracts/events';

let environment: TestEnvironment;
beforeAll(async () => {
  environment = await createTestEnvironment('deadletters');
});
afterAll(async () => {
  await environment.cleanup();
});

describe('dead letters on real RabbitMQ', () => {
  it('are listed with their reason and source, then re-driven to the queue they came from', async () => {
    const logger = createLogger('dead-letter-test', 'silent' as 'info');
    const { names } = environment.topology;
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'dl-test' });
    await broker.start();
    await broker.publishRaw(names.workExchange, 'ImageRequested', Buffer.from('{"type":"ImageRequested"}'), {
      messageId: 'poison-1',
    });
    // A consumer that refuses the message as a poison message.
    const settled = new Promise<void>((resolve) => {
      void broker.consume({
        queue: names.imageRequestsQueue,
        prefetch: 1,
        onDelivery: (delivery) => {
          const parsed = parseDelivery(delivery, imageRequestedSchema);
          if (!parsed.ok) void delivery.deadLetter(parsed.reason).then(resolve);
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
        preview: '{"type":"ImageRequested"}',
      }),
    ]);
    // Listing leaves them in place.
    expect(await listDeadLetters(environment.amqpUrl, environment.topology, 10)).toHaveLength(1);

    expect(await redriveDeadLetters(environment.amqpUrl, environment.topology, { limit: 10 })).toEqual({
      redriven: 1,
      kept: 0,
    });
    const connection = await amqp.connect(environment.amqpUrl);
    const channel = await connection.createChannel();
    const back = await channel.get(names.imageRequestsQueue, { noAck: true });
    expect(back && back.content.toString()).toBe('{"type":"ImageRequested"}');
    expect(back && back.properties.headers?.['x-rp-reason']).toBeUndefined();
    expect((await channel.checkQueue(names.deadLetterQueue)).messageCount).toBe(0);
    await connection.close();
    await broker.close();
  });
});
