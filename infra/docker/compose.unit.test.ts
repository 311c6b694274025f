/**
 * The compose files, checked without a Docker engine: each is valid against the Compose
 * Specification's JSON schema (infra/docker/compose-spec.json, copied from the compose-spec
 * repository's schema/compose-spec.json), and the cluster override gives every service that speaks
 * to RabbitMQ and MongoDB all three nodes and members of the cluster it defines; every service
 * sends its traces to the Jaeger it runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { parse } from 'yaml';
import { amqpNodeUrls } from '../../shared/src/messaging/nodes';

const root = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

interface ComposeService {
  hostname?: string;
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const load = (path: string) => parse(read(path), { merge: true, maxAliasCount: -1 }) as ComposeFile;
const base = load('docker-compose.yml');
const cluster = load('docker-compose.cluster.yml');

describe('compose files', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The specification names draft-07 by its https address; Ajv knows it by the http one.
  ajv.addMetaSchema(draft07, 'https://json-schema.org/draft-07/schema');
  const validate = ajv.compile(JSON.parse(read('infra/docker/compose-spec.json')) as object);

  it.each(['docker-compose.yml', 'docker-compose.cluster.yml'])('%s follows the Compose Specification', (path) => {
    const valid = validate(load(path));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('gives every service that uses the broker and the database all three nodes and members', () => {
    const rabbitNodes = ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'];
    const mongoMembers = ['mongo', 'mongo-2', 'mongo-3'];
    for (const name of [...rabbitNodes, ...mongoMembers]) expect(cluster.services[name]).toBeDefined();
    const users = Object.entries(base.services).filter(([, service]) => service.environment?.AMQP_URL !== undefined);
    expect(users.map(([name]) => name).sort()).toEqual(['image-processor', 'ingest', 'projection', 'status-api']);
    for (const [name] of users) {
      const environment = cluster.services[name]?.environment ?? {};
      const hosts = amqpNodeUrls(String(environment.AMQP_URL)).map((url) => new URL(url).hostname);
      expect(hosts).toEqual(rabbitNodes);
      // A replica-set URL lists several hosts, which WHATWG URLs do not parse.
      const [, hostList = '', query = ''] = /^mongodb:\/\/([^/]+)\/\?(.*)$/.exec(String(environment.MONGO_URL)) ?? [];
      expect(hostList.split(',').map((member) => member.split(':')[0])).toEqual(mongoMembers);
      expect(Object.fromEntries(new URLSearchParams(query))).toEqual({
        replicaSet: 'rs0',
        w: 'majority',
        retryWrites: 'true',
      });
      expect(Object.keys(cluster.services[name]?.depends_on ?? {}).sort()).toEqual(
        ['mongo-replica-set', 'rabbitmq-2', 'rabbitmq-3'].sort(),
      );
    }
  });

  it('runs Prometheus and Grafana on loopback ports, on configs and a dashboard that exist', () => {
    const { prometheus, grafana } = base.services;
    expect(prometheus?.image).toMatch(/^prom\/prometheus:v2\./);
    expect(grafana?.image).toMatch(/^grafana\/grafana:/);
    expect(prometheus?.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(grafana?.ports).toEqual(['127.0.0.1:3000:3000']);
    const mounts = (service: ComposeService | undefined): Record<string, string> =>
      Object.fromEntries((service?.volumes ?? []).map((volume) => volume.split(':').slice(0, 2).reverse()));
    expect(mounts(prometheus)['/etc/prometheus/prometheus.yml']).toBe('./infra/prometheus/prometheus.compose.yml');
    expect(mounts(cluster.services.prometheus)['/etc/prometheus/prometheus.yml']).toBe(
      './infra/prometheus/prometheus.compose-cluster.yml',
    );
    expect(mounts(grafana)).toMatchObject({
      '/etc/grafana/provisioning': './infra/grafana/provisioning',
      '/var/lib/grafana/dashboards': './infra/grafana/dashboards',
    });
    for (const service of [prometheus, cluster.services.prometheus, grafana]) {
      for (const source of Object.values(mounts(service))) {
        if (source.startsWith('./')) expect(existsSync(resolve(root, source))).toBe(true);
      }
    }
    // RabbitMQ's Prometheus plugin on every node; the metrics ports Prometheus scrapes listen beyond loopback.
    for (const node of ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3']) {
      expect(mounts(cluster.services[node])['/etc/rabbitmq/enabled_plugins']).toBe('./infra/rabbitmq/enabled_plugins');
    }
    expect(read('infra/rabbitmq/enabled_plugins')).toContain('rabbitmq_prometheus');
    expect(base.services.projection?.environment?.PROJECTION_HEALTH_BIND).toBe('0.0.0.0');
    expect(base.services['image-processor']?.environment?.PROCESSOR_HEALTH_BIND).toBe('0.0.0.0');
  });

  it('has Prometheus scrape, in compose, every service and every RabbitMQ node under the shipped job names', () => {
    const jobs = (path: string) =>
      (parse(read(path)) as { scrape_configs: Array<{ job_name: string }> }).scrape_configs.map((job) => job.job_name);
    const shipped = jobs('infra/prometheus/prometheus.yml');
    expect(jobs('infra/prometheus/prometheus.compose.yml')).toEqual(shipped);
    expect(jobs('infra/prometheus/prometheus.compose-cluster.yml')).toEqual(shipped);
    const services = Object.keys(base.services).filter((name) => base.services[name]?.environment?.SERVICE);
    expect(shipped).toEqual(expect.arrayContaining(services));
    const clusterConfig = read('infra/prometheus/prometheus.compose-cluster.yml');
    for (const node of ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3']) expect(clusterConfig).toContain(`'${node}:15692'`);
  });

  it('runs Jaeger and has every service send its traces there with OTLP over HTTP', () => {
    const { jaeger } = base.services;
    expect(jaeger?.image).toMatch(/^jaegertracing\/all-in-one:1\./);
    expect(jaeger?.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
    expect(jaeger?.ports).toEqual(['127.0.0.1:16686:16686', '127.0.0.1:4318:4318']);
    const services = Object.entries(base.services).filter(([, service]) => service.environment?.SERVICE);
    expect(services.map(([name]) => name).sort()).toEqual(
      ['gateway', 'image-processor', 'ingest', 'projection', 'status-api'].sort(),
    );
    for (const [, service] of services) {
      // `${VAR-default}`: the operator's endpoint (or an empty one: tracing off), else Jaeger's.
      const endpoint = /^\$\{OTEL_EXPORTER_OTLP_ENDPOINT-(.+)\}$/.exec(
        String(service.environment?.OTEL_EXPORTER_OTLP_ENDPOINT),
      )?.[1];
      expect(endpoint).toBe('http://jaeger:4318');
    }
  });

  it('forms the RabbitMQ cluster and the replica set from the nodes it runs', () => {
    const conf = read('infra/rabbitmq/rabbitmq.cluster.conf');
    const peers = [...conf.matchAll(/classic_config\.nodes\.\d+ = rabbit@(\S+)/g)].map((match) => match[1]);
    expect(peers).toEqual(['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'].map((node) => cluster.services[node]?.hostname));
    const initiate = cluster.services['mongo-replica-set']?.command?.join(' ') ?? '';
    expect([...initiate.matchAll(/host: '([^:']+):27017'/g)].map((match) => match[1])).toEqual([
      'mongo',
      'mongo-2',
      'mongo-3',
    ]);
  });
});
