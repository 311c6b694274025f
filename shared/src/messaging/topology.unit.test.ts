import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildTopology, messageRoutes, renderMessageRoutes, replicatedOn } from './topology';

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

describe('the route table', () => {
  it('names only exchanges and queues the topology declares', () => {
    const topology = buildTopology('rp');
    const exchanges = new Set(topology.exchanges.map((exchange) => exchange.name));
    const queues = new Set(topology.queues.map((queue) => queue.name));
    for (const route of messageRoutes(topology.names)) {
      const exchange = route.exchange.split(' (')[0]!;
      if (!exchange.startsWith('(')) expect(exchanges).toContain(exchange);
      if (route.queue.startsWith('rp.')) {
        const queue = route.queue.replace(/N$/, '0');
        expect(queues).toContain(queue);
      }
    }
  });

  it('is the one in the README', () => {
    const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');
    expect(readme).toContain(renderMessageRoutes());
  });
});
