import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildTopology, replicatedOn } from './topology';

interface Definitions {
  exchanges: Array<{ name: string; type: string; durable: boolean }>;
  queues: Array<{ name: string; durable: boolean; arguments: Record<string, unknown> }>;
  bindings: Array<{ source: string; destination: string; routing_key: string }>;
}

describe('topology', () => {
  it('is mirrored exactly by infra/rabbitmq/definitions.json', () => {
    const definitions = JSON.parse(
      readFileSync(resolve(__dirname, '../../../infra/rabbitmq/definitions.json'), 'utf8'),
    ) as Definitions;
    const topology = buildTopology('rp');
    expect(definitions.exchanges.map(({ name, type }) => ({ name, type }))).toEqual(topology.exchanges);
    expect(definitions.queues.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual(topology.queues);
    expect(
      definitions.bindings.map(({ source, destination, routing_key }) => ({
        exchange: source,
        queue: destination,
        routingKey: routing_key,
      })),
    ).toEqual(topology.bindings);
  });

  it('prefixes every name, so installations and test runs can share a broker', () => {
    const names = [...buildTopology('x').queues.map((q) => q.name), ...buildTopology('x').exchanges.map((e) => e.name)];
    expect(names.every((name) => name.startsWith('x.'))).toBe(true);
  });

  it('replicates every queue on every node of a cluster, and leaves a single node as it was', () => {
    const single = buildTopology('rp');
    expect(replicatedOn(single, 1)).toEqual(single);
    const cluster = replicatedOn(single, 3);
    expect(cluster.queues.map((queue) => queue.name)).toEqual(single.queues.map((queue) => queue.name));
    for (const queue of cluster.queues) {
      expect(queue.arguments).toEqual({
        ...single.queues.find(({ name }) => name === queue.name)!.arguments,
        'x-quorum-initial-group-size': 3,
      });
    }
  });
});
