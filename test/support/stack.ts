import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { TestEnvironment } from './testEnvironment';

const root = resolve(__dirname, '../..');

/**
 * Ports the tests hand to processes they start, below the kernel's ephemeral range (32768–60999
 * here): a port from that range, free when picked, can be taken by any outgoing connection before
 * the process gets to listen on it. Each jest worker picks from a slice of its own, never the same
 * port twice, and skips the ports the project's own services use.
 */
const TEST_PORTS = { first: 20_000, perWorker: 1_500 };
const RESERVED_PORTS = new Set([25672, 25681, 25682, 25683, 25690, 27017, 27018]);
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

export async function freePort(): Promise<number> {
  const worker = Math.max(1, Number(process.env.JEST_WORKER_ID ?? 1)) - 1;
  const first = TEST_PORTS.first + (worker % 8) * TEST_PORTS.perWorker;
  for (let tries = 0; tries < TEST_PORTS.perWorker; tries++) {
    const port = first + Math.floor(Math.random() * TEST_PORTS.perWorker);
    if (handedOut.has(port) || RESERVED_PORTS.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port left from ${first} to ${first + TEST_PORTS.perWorker - 1}`);
}

export interface RunningService {
  name: string;
  child: ChildProcess;
  output: string[];
}

export interface Stack {
  baseUrl: string;
  ports: Record<string, number>;
  services: Map<string, RunningService>;
  /** Starts (or restarts) one service process. */
  start: (name: ServiceName) => Promise<void>;
  /** Stops one service: SIGTERM by default, SIGKILL to simulate a crash. */
  stop: (name: ServiceName, signal?: NodeJS.Signals) => Promise<void>;
  stopAll: () => Promise<void>;
}

export type ServiceName = 'gateway' | 'ingest' | 'status-api' | 'projection' | 'image-processor';

async function waitForHealth(url: string, service: RunningService, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.child.exitCode}:\n${service.output.join('')}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} not healthy at ${url} after ${timeoutMs} ms:\n${service.output.join('')}`);
}

/** The environment every service process of a test gets: the test's own broker prefix and database. */
export function serviceEnv(environment: Pick<TestEnvironment, 'amqpUrl' | 'mongoUrl' | 'dbName' | 'prefix'>) {
  return {
    ...process.env,
    AMQP_URL: environment.amqpUrl,
    MONGO_URL: environment.mongoUrl,
    MONGO_DB: environment.dbName,
    TOPOLOGY_PREFIX: environment.prefix,
    LOG_LEVEL: 'warn',
  };
}

/** Runs every service as its own OS process, as `npm start` does, against the test environment. */
export async function startStack(environment: TestEnvironment, extraEnv: Record<string, string> = {}): Promise<Stack> {
  const ports = {
    gateway: await freePort(),
    ingest: await freePort(),
    'status-api': await freePort(),
    projection: await freePort(),
    'image-processor': await freePort(),
  };
  const env = {
    ...serviceEnv(environment),
    PORT: String(ports.gateway),
    INGEST_PORT: String(ports.ingest),
    STATUS_API_PORT: String(ports['status-api']),
    PROJECTION_HEALTH_PORT: String(ports.projection),
    PROCESSOR_HEALTH_PORT: String(ports['image-processor']),
    PIPELINE_METRICS_SOURCES: `ingest=127.0.0.1:${ports.ingest},projection=127.0.0.1:${ports.projection},image-processor=127.0.0.1:${ports['image-processor']}`,
    STORE_MASTER_FILE: resolve(root, 'infra/data/sample-stores.csv'),
    // The test images are served from 127.0.0.1, which the SSRF guard refuses by default.
    IMAGE_ALLOW_PRIVATE_NETWORKS: 'true',
    GPU_DELAY_MIN_MS: '0',
    GPU_DELAY_MAX_MS: '20',
    ...extraEnv,
  };
  const services = new Map<string, RunningService>();
  const start = async (name: ServiceName) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/index.ts`], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service: RunningService = { name, child, output: [] };
    const keep = (chunk: Buffer) => {
      service.output.push(chunk.toString());
      if (service.output.length > 200) service.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    services.set(name, service);
    await waitForHealth(`http://127.0.0.1:${ports[name]}/health/ready`, service);
  };
  const stop = async (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    const service = services.get(name);
    if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
    await new Promise<void>((resolveExit) => {
      service.child.once('exit', () => resolveExit());
      service.child.kill(signal);
    });
  };
  // The image-processor seeds the store master; start it before the services that read stores.
  await start('image-processor');
  await Promise.all((['projection', 'ingest', 'status-api', 'gateway'] as const).map(start));
  return {
    baseUrl: `http://127.0.0.1:${ports.gateway}`,
    ports,
    services,
    start,
    stop,
    stopAll: async () => {
      await Promise.all([...services.keys()].map((name) => stop(name as ServiceName)));
    },
  };
}

/**
 * What every service of a stack says of itself now (its `/health` details: the projection's lag,
 * the processor's in-flight count, broker stats) and what it last wrote (warnings and errors under
 * the tests' log level).
 */
export async function describeStack(stack: Pick<Stack, 'services' | 'ports'>): Promise<string> {
  const parts = await Promise.all(
    [...stack.services.values()].map(async (service) => {
      const port = stack.ports[service.name];
      const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })
        .then(async (response) => `${response.status} ${await response.text()}`)
        .catch((error: unknown) => `no answer (${String(error)})`);
      const state = service.child.exitCode ?? service.child.signalCode ?? 'running';
      return `--- ${service.name} (${state}), /health: ${health}\n${service.output.join('').slice(-4_000)}`;
    }),
  );
  return parts.join('\n');
}

/**
 * Polls a job until it leaves "ongoing". When the time runs out the test fails with the last answer
 * and what each service of the stack last logged, so a stuck pipeline says where it stuck.
 */
export async function waitForTerminal(
  stack: Pick<Stack, 'baseUrl' | 'services' | 'ports'>,
  jobId: number,
  timeoutMs = 90_000,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await fetch(`${stack.baseUrl}/api/status?jobid=${jobId}`);
    last = await response.json();
    if (response.status === 200 && (last as { status: string }).status !== 'ongoing') return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `job ${jobId} still not settled after ${timeoutMs} ms: ${JSON.stringify(last)}\n${await describeStack(stack)}`,
  );
}
