import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { Broker } from '@retail-pulse/shared/messaging';
import { parseJobSettledNotice, type JobSettledNotice } from '@retail-pulse/shared/readModels';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';

const logger = createLogger('settled-feed-test', 'silent' as 'info');

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('settled-feed');
});
afterEach(async () => {
  await environment.cleanup();
});

describe('the settled-jobs feed the image-processors follow, on a real RabbitMQ', () => {
  it('carries announcements from one broker connection to every follower, and reports the feed going down', async () => {
    const publisher = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'publisher' });
    const follower = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'follower' });
    const received: JobSettledNotice[] = [];
    const events: string[] = [];
    await follower.follow({
      exchange: environment.topology.names.jobSettledExchange,
      onMessage: (content) => received.push(parseJobSettledNotice(content)),
      onReady: () => events.push('ready'),
      onLost: () => events.push('lost'),
    });
    try {
      await follower.start();
      await publisher.start();
      expect(events).toEqual(['ready']);
      const notice: JobSettledNotice = { generation: 1, jobs: [{ jobId: 7, status: 'completed', failures: [] }] };
      await publisher.publish(environment.topology.names.jobSettledExchange, '', notice, { transient: true });
      for (let waited = 0; received.length === 0 && waited < 5_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(received).toEqual([notice]);
      // A malformed notice is not used: it goes to the dead-letter queue with the reason.
      await publisher.publish(
        environment.topology.names.jobSettledExchange,
        '',
        { generation: 'one', jobs: [] },
        { transient: true },
      );
      const connection = await amqp.connect(environment.amqpUrl);
      const channel = await connection.createChannel();
      let deadLetter: amqp.GetMessage | false = false;
      for (let waited = 0; !deadLetter && waited < 5_000; waited += 50) {
        deadLetter = await channel.get(environment.topology.names.deadLetterQueue, { noAck: true });
        if (!deadLetter) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await connection.close();
      expect(deadLetter && String(deadLetter.properties.headers?.['x-rp-reason'])).toMatch(
        /^Error: malformed settled-jobs notice: generation/,
      );
      expect(received).toEqual([notice]);
      await follower.close();
      expect(events).toContain('lost');
    } finally {
      await follower.close();
      await publisher.close();
    }
  });
});
