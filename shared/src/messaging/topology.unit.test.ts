import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildTopology } from './topology';

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
});
