/**
 * The broker module on the project's three-node cluster, while the node leading the work queue is
 * killed with SIGKILL: consumers on other nodes keep consuming, clients on the killed node move to
 * the next, and every publish is confirmed (sent again where it was not) — nothing is lost.
 */
import {
  clusterAmqpUrl,
  clusterNodes,
  killNode,
  queueLeader,
  queueReplicas,
  startNode,
  type ClusterNode,
} from '../../../infra/local/rabbitCluster';
import { useRabbitCluster, type ClusterLease } from '../../../test/support/cluster';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker, type Delivery } from './broker';
import { ImageRequestedRoutingKey } from './topology';

const logger = createLogger('node-loss-test', 'silent');
let lease: ClusterLease;
let environment: TestEnvironment;
const brokers: Broker[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A broker client that connects to `first`, then to the other nodes if it loses it. */
async function brokerOn(first: ClusterNode, name: string): Promise<Broker> {
  const order = [first, ...clusterNodes.filter((node) => node !== first)];
  const broker = new Broker(clusterAmqpUrl(order), environment.topology, logger, { connectionName: name });
  brokers.push(broker);
  await broker.start();
  return broker;
}

function others(node: ClusterNode): ClusterNode[] {
  return clusterNodes.filter((candidate) => candidate !== node);
}

/** Takes every message of the queue until `expected` distinct numbers were seen; returns the deliveries by number. */
async function drain(broker: Broker, queue: string, expected: number, onEach?: () => Promise<void>) {
  const seen = new Map<number, number>();
  const arrivals: number[] = [];
  await new Promise<void>((resolve) => {
    void broker.consume({
      queue,
      prefetch: 50,
      onDelivery: (delivery: Delivery) => {
        void (async () => {
          await onEach?.();
          const { n } = JSON.parse(delivery.content.toString()) as { n: number };
          seen.set(n, (seen.get(n) ?? 0) + 1);
          arrivals.push(Date.now());
          delivery.ack();
          if (seen.size === expected) resolve();
        })();
      },
    });
  });
  await broker.cancelConsumers();
  return { seen, arrivals };
}

beforeAll(async () => {
  lease = await useRabbitCluster();
  environment = await createTestEnvironment('nodeloss', lease.amqpUrl);
  await (await brokerOn(clusterNodes[0]!, 'setup')).close();
}, 300_000);

afterAll(async () => {
  await Promise.all(brokers.map((broker) => broker.close()));
  await lease?.release();
  await environment?.cleanup();
}, 120_000);

describe('on a three-node cluster', () => {
  it('declares every quorum queue with a member on each node', async () => {
    const replicas = await queueReplicas();
    for (const queue of environment.topology.queues) {
      expect(
        replicas
          .get(queue.name)
          ?.members.map((node) => node.name)
          .sort(),
      ).toEqual(clusterNodes.map((node) => node.name));
    }
  });

  it('keeps a consumer on another node consuming while the queue leader is killed', async () => {
    const queue = environment.topology.names.imageRequestsQueue;
    const leader = await queueLeader(queue);
    const [consumerNode, publisherNode] = others(leader);
    const publisher = await brokerOn(publisherNode!, 'publisher');
    const count = 3_000;
    await Promise.all(
      Array.from({ length: count }, (_, n) =>
        publisher.publish(environment.topology.names.workExchange, ImageRequestedRoutingKey, { n }),
      ),
    );
    const consumer = await brokerOn(consumerNode!, 'consumer');
    let handled = 0;
    let killedAt = 0;
    const killing = (async () => {
      while (handled < count / 3) await sleep(20);
      killedAt = Date.now();
      await killNode(leader);
    })();
    // About 1 ms per message, so the kill lands while most of the queue is still to be consumed.
    const { seen, arrivals } = await drain(consumer, queue, count, async () => {
      handled++;
      await sleep(1);
    });
    await killing;
    await startNode(leader);

    expect(seen.size).toBe(count);
    expect(consumer.stats.reconnects).toBe(0);
    const afterKill = arrivals.filter((at) => at >= killedAt);
    const longestPause = Math.max(...afterKill.slice(1).map((at, index) => at - afterKill[index]!));
    console.log(
      `consumer on ${consumerNode!.name}, leader ${leader.name} killed: longest pause ${longestPause} ms, ` +
        `redeliveries ${consumer.stats.redeliveries}`,
    );
  });

  it('confirms every publish across a leader kill, on the killed node and on another', async () => {
    const queue = environment.topology.names.imageRequestsQueue;
    const leader = await queueLeader(queue);
    const onLeader = await brokerOn(leader, 'publisher-on-leader');
    const onFollower = await brokerOn(others(leader)[0]!, 'publisher-on-follower');
    const perPublisher = 2_000;
    let published = 0;
    const publishAll = async (broker: Broker, offset: number) => {
      // 100 in flight at a time, as a busy service would have.
      for (let start = 0; start < perPublisher; start += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, index) =>
            broker
              .publish(environment.topology.names.workExchange, ImageRequestedRoutingKey, {
                n: offset + start + index,
              })
              .then(() => published++),
          ),
        );
      }
    };
    const killing = (async () => {
      while (published < perPublisher / 2) await sleep(10);
      await killNode(leader);
    })();
    await Promise.all([publishAll(onLeader, 0), publishAll(onFollower, perPublisher), killing]);
    expect(published).toBe(2 * perPublisher);
    expect(onLeader.stats.reconnects).toBe(1);

    const consumer = await brokerOn(others(leader)[1]!, 'checker');
    const { seen } = await drain(consumer, queue, 2 * perPublisher);
    await startNode(leader);
    const duplicates = [...seen.values()].reduce((sum, times) => sum + times - 1, 0);
    expect(seen.size).toBe(2 * perPublisher);
    console.log(
      `leader ${leader.name} killed mid-publish: every one of ${2 * perPublisher} publishes confirmed; ` +
        `retries ${onLeader.stats.publishRetries} (on the killed node) and ${onFollower.stats.publishRetries} ` +
        `(on another), duplicates consumed ${duplicates}`,
    );
  });
});
