import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  activeTargets,
  checkConfig,
  ensurePrometheusInstalled,
  prometheusConfig,
  SHIPPED_CONFIG,
  startPrometheus,
  type StartedPrometheus,
} from '../../infra/local/prometheus';
import { ensureRabbitMqPrometheus, RABBITMQ_PROMETHEUS_PORT } from '../../infra/local/services';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { describeStack, freePort, startStack, waitForTerminal, type ServiceName, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * Observability on the running stack: every service's /metrics as promtool judges it, a real
 * Prometheus (Debian's package) scraping every service and RabbitMQ's plugin on a config made from
 * the shipped one, and the Grafana dashboard's queries against what those scrapes expose.
 */
const root = resolve(__dirname, '../..');
const SERVICES: ServiceName[] = ['gateway', 'ingest', 'status-api', 'projection', 'image-processor'];
/** The Prometheus plugin of the RabbitMQ this run uses (its own node's, when it started one). */
const RABBITMQ = `127.0.0.1:${process.env.RP_TEST_RABBITMQ_PROMETHEUS_PORT ?? RABBITMQ_PROMETHEUS_PORT}`;

let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
let prometheus: StartedPrometheus | undefined;
let workDir: string;
/** Each service's scrape, taken once the job settled. */
const scrapes = new Map<string, string>();

/** promtool's verdict on one exposition: its exit code and what it printed. */
function promtoolCheckMetrics(exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveCheck, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveCheck({ code, output }));
    child.stdin.end(exposition);
  });
}

async function scrape(target: string, path = '/metrics'): Promise<string> {
  const response = await fetch(`http://${target}${path}`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Every sample name an exposition can hold: its samples', and its families' with a histogram's series. */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      names.add(name!);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
    } else if (line && !line.startsWith('#')) names.add(/^[^{\s]+/.exec(line)![0]);
  }
  return names;
}

beforeAll(async () => {
  await ensurePrometheusInstalled();
  if (!process.env.RP_TEST_RABBITMQ_PROMETHEUS_PORT) await ensureRabbitMqPrometheus(() => undefined);
  workDir = mkdtempSync(join(tmpdir(), 'rp-observe-'));
  environment = await createTestEnvironment('observe');
  images = await startImageServer();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '1' });
  // One job with a success and two kinds of failure, so that the outcome and failure series exist.
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      count: 2,
      visits: [
        {
          store_id: 'S00339218',
          image_url: [images.url('/img/shelf.jpg'), images.url('/img/status-404.jpg')],
          visit_time: '2024-01-21T10:00:00Z',
        },
        { store_id: 'S99999999', image_url: [images.url('/img/front.png')], visit_time: '2024-01-21T10:00:00Z' },
      ],
    }),
  });
  expect(response.status).toBe(201);
  const { job_id: jobId } = (await response.json()) as { job_id: number };
  expect(await waitForTerminal(stack, jobId)).toMatchObject({ status: 'failed' });
  // The job's status is written before the rest of its batch (the jobs and visits models): the
  // scrapes wait for the projection to have nothing left to fold, as its lag gauge is checked.
  await until(
    async () => {
      const health = (await (await fetch(`http://127.0.0.1:${stack.ports.projection}/health`)).json()) as {
        lag: number;
      };
      return health.lag === 0;
    },
    { what: 'the projection idle (lag 0)' },
  );
  for (const service of SERVICES) scrapes.set(service, await scrape(`127.0.0.1:${stack.ports[service]}`));
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await stack?.stopAll();
  await images?.close();
  await environment?.cleanup();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('metrics on the running stack', () => {
  it.each(SERVICES)("%s's /metrics passes promtool check metrics", async (service) => {
    const result = await promtoolCheckMetrics(scrapes.get(service)!);
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('reports what each service does, in bounded labels', () => {
    const of = (service: string) => scrapes.get(service)!;
    for (const service of SERVICES) {
      expect(of(service)).toMatch(/^process_resident_memory_bytes \d/m);
      expect(of(service)).toMatch(
        /^rp_http_request_duration_seconds_count\{method="GET",route="\/health\/ready",status="200"\}/m,
      );
    }
    expect(of('gateway')).toMatch(/^rp_http_requests_total\{method="GET",route="\/api\/status",status="200"\} \d+/m);
    expect(of('gateway')).not.toMatch(/jobid=/);
    expect(of('ingest')).toMatch(/^rp_jobs_submitted_total 1$/m);
    expect(of('image-processor')).toMatch(/^rp_jobs_dispatched_total 1$/m);
    expect(of('image-processor')).toMatch(/^rp_images_processed_total\{outcome="succeeded"\} 1$/m);
    expect(of('image-processor')).toMatch(/^rp_images_processed_total\{outcome="failed"\} 2$/m);
    expect(of('image-processor')).toMatch(/^rp_image_failures_total\{kind="http_status",cause="http_status"\} 1$/m);
    expect(of('image-processor')).toMatch(/^rp_image_failures_total\{kind="unknown_store",cause="unknown_store"\} 1$/m);
    expect(of('image-processor')).toMatch(/^rp_image_download_duration_seconds_count\{result="ok"\} 1$/m);
    expect(of('image-processor')).toMatch(/^rp_images_in_flight 0$/m);
    expect(of('projection')).toMatch(/^rp_jobs_settled_total\{status="failed"\} 1$/m);
    expect(of('projection')).toMatch(/^rp_projection_lag_events 0$/m);
    // JobSubmitted and three settled images.
    expect(of('projection')).toMatch(/^rp_event_log_events 4$/m);
    expect(of('projection')).toMatch(/^rp_projection_last_folded_position 4$/m);
  });
});

describe('Prometheus', () => {
  it('accepts the shipped configs (promtool check config)', async () => {
    expect(await checkConfig(SHIPPED_CONFIG)).toContain('SUCCESS');
    // The compose configs name a key file that exists only in the container: point them at one here.
    const keyFile = join(workDir, 'gateway.key');
    writeFileSync(keyFile, '');
    for (const name of ['prometheus.compose.yml', 'prometheus.compose-cluster.yml']) {
      const config = readFileSync(join(root, 'infra/prometheus', name), 'utf8').replace(
        '/prometheus/gateway.key',
        keyFile,
      );
      const path = join(workDir, name);
      writeFileSync(path, config);
      expect(await checkConfig(path)).toContain('SUCCESS');
    }
  });

  it('scrapes every service and RabbitMQ with every target up, on the shipped config moved to this stack', async () => {
    const configPath = join(workDir, 'prometheus.yml');
    const ports = Object.fromEntries(SERVICES.map((service) => [service, stack.ports[service]!]));
    writeFileSync(configPath, prometheusConfig({ ports, rabbitmq: RABBITMQ, scrapeInterval: '1s' }));
    expect(await checkConfig(configPath)).toContain('SUCCESS');
    prometheus = await startPrometheus(configPath, await freePort(), join(workDir, 'prometheus'));

    const expected = [...SERVICES, 'rabbitmq', 'rabbitmq-queues'].sort();
    const deadline = Date.now() + 60_000;
    let targets = await activeTargets(prometheus.url);
    while (!(targets.length === expected.length && targets.every((target) => target.health === 'up'))) {
      if (Date.now() > deadline) {
        throw new Error(`targets not all up after 60 s: ${JSON.stringify(targets)}\n${await describeStack(stack)}`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      targets = await activeTargets(prometheus.url);
    }
    expect(targets.map((target) => target.job).sort()).toEqual(expected);
    const up = await fetch(`${prometheus.url}/api/v1/query?query=up`);
    const body = (await up.json()) as { data: { result: Array<{ metric: { job: string }; value: [number, string] }> } };
    expect(body.data.result.map(({ metric, value }) => [metric.job, value[1]]).sort()).toEqual(
      expected.map((job) => [job, '1']),
    );
  });
});

interface Panel {
  title: string;
  targets: Array<{ expr: string }>;
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(root, 'infra/grafana/dashboards/retail-pulse.json'), 'utf8')) as {
    uid: string;
    panels: Panel[];
  };
  const exprs = dashboard.panels.flatMap((panel) => panel.targets.map(({ expr }) => ({ panel: panel.title, expr })));
  /** PromQL's own words: functions, aggregations and their modifiers, which are not metric names. */
  const promqlWords = new Set(['sum', 'max', 'min', 'avg', 'rate', 'by', 'without', 'histogram_quantile', 'le']);
  /** The metric names a query reads: its identifiers, less strings, label matchers, ranges, groupings and calls. */
  const metricNames = (expr: string) => {
    const bare = expr
      .replace(/"(?:[^"\\]|\\.)*"/g, '')
      .replace(/\{[^}]*\}/g, '')
      .replace(/\[[^\]]*\]/g, '')
      .replace(/\b(by|without)\s*\([^)]*\)/g, '');
    return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
      .filter((match) => !/^\s*\(/.test(bare.slice(match.index + match[0].length)))
      .map((match) => match[0])
      .filter((word) => !promqlWords.has(word));
  };

  it('has the panels an operator looks for', () => {
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join(' | ');
    for (const topic of ['throughput', 'latency', 'failures by reason', 'queue depth', 'projection lag']) {
      expect(titles).toContain(topic);
    }
    expect(exprs.length).toBeGreaterThan(10);
  });

  it('queries only metric names that a real scrape of the stack and RabbitMQ exposes', async () => {
    const exposed = new Set<string>();
    const all = [
      ...scrapes.values(),
      await scrape(RABBITMQ),
      await scrape(RABBITMQ, '/metrics/detailed?family=queue_coarse_metrics'),
    ];
    for (const exposition of all) for (const name of exposedNames(exposition)) exposed.add(name);
    const unknown = exprs.flatMap(({ panel, expr }) =>
      metricNames(expr)
        .filter((name) => !exposed.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(unknown).toEqual([]);
    expect(exprs.every(({ expr }) => metricNames(expr).length > 0)).toBe(true);
  });

  it('asks Prometheus only queries it accepts', async () => {
    expect(prometheus).toBeDefined();
    for (const { panel, expr } of exprs) {
      const query = expr.replaceAll('$__rate_interval', '1m');
      const response = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await response.json()) as { status: string; error?: string };
      expect({ panel, expr, status: body.status, error: body.error }).toEqual({
        panel,
        expr,
        status: 'success',
        error: undefined,
      });
    }
  });
});
