/**
 * A RabbitMQ node of the test run's own, for when the machine's RabbitMQ listens but completes no
 * handshake (the suite would otherwise fail test after test on `connect ETIMEDOUT`): a real node
 * beside it, with its own name, ports, data directory and the project's cluster cookie, started
 * fresh by the setup and stopped and removed by the teardown. The machine's node is left as it is.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { machineRabbitmqctl } from '../../infra/local/brokerHealth';
import { clusterDir, rabbitmqctl, startNode, stopNodes, type ClusterNode } from '../../infra/local/rabbitNode';
import { portOpen } from '../../infra/local/services';

export const ownNode: ClusterNode = {
  name: 'rptest@localhost',
  amqpPort: 5690,
  distPort: 25690,
  managementPort: 15690,
  prometheusPort: 15691,
  dir: join(clusterDir, 'rptest'),
};

/** The environment the tests read to reach whichever RabbitMQ the run uses. */
const RABBITMQ_NODE_ENV = 'RP_TEST_RABBITMQ_NODE';

export async function startOwnRabbitMq(): Promise<{ amqpUrl: string; env: Record<string, string> }> {
  if (await portOpen(ownNode.amqpPort)) throw new Error(`127.0.0.1:${ownNode.amqpPort} is taken: another run's node?`);
  rmSync(ownNode.dir, { recursive: true, force: true });
  await startNode(ownNode, true);
  return {
    amqpUrl: `amqp://guest:guest@127.0.0.1:${ownNode.amqpPort}`,
    env: {
      [RABBITMQ_NODE_ENV]: ownNode.name,
      RP_TEST_RABBITMQ_MANAGEMENT: `http://127.0.0.1:${ownNode.managementPort}/api`,
      RP_TEST_RABBITMQ_PROMETHEUS_PORT: String(ownNode.prometheusPort),
    },
  };
}

export async function stopOwnRabbitMq(): Promise<void> {
  await stopNodes([ownNode]);
  rmSync(ownNode.dir, { recursive: true, force: true });
}

/** `rabbitmqctl <args>` against the RabbitMQ this run uses: its own node, or the machine's. */
export async function testRabbitmqctl(args: string[]): Promise<string> {
  return process.env[RABBITMQ_NODE_ENV] === ownNode.name
    ? rabbitmqctl(ownNode, args, 30_000)
    : machineRabbitmqctl(args);
}

/** The management API of the RabbitMQ this run uses. */
export const managementApi = (): string => process.env.RP_TEST_RABBITMQ_MANAGEMENT ?? 'http://127.0.0.1:15672/api';
