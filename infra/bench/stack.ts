/**
 * The benchmarks' stack: every service as its own process on this machine, a keep-alive HTTP
 * client to its gateway, and the CPU each process (the broker and the database included) used.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { buildTopology, deleteTopology } from '@retail-pulse/shared/messaging';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { freePort } from '../../test/support/stack';
import { projectRoot } from '../local/services';
import { cpuSeconds } from './procStats';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes whose CPU the benchmark accounts for: every service, the servers, and itself. */
export function cpuAccounts(stack: BenchStack): Record<string, number | undefined> {
  const pidOf = (pattern: string) => {
    try {
      return Number(execFileSync('pgrep', ['-o', '-f', pattern], { encoding: 'utf8' }).trim());
    } catch {
      return undefined;
    }
  };
  const pids: Record<string, number | undefined> = Object.fromEntries(
    stack.services.map((service) => [service.name, service.child.pid]),
  );
  pids.rabbitmq = pidOf('beam.smp');
  pids.mongodb = pidOf('ferretdb|mongod');
  const totals = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const own = process.cpuUsage();
  totals['bench (clients, image server)'] = (own.user + own.system) / 1e6;
  return totals;
}

/** CPU each process used between two `cpuAccounts` readings, in seconds, expressed by `as`. */
export function cpuBetween(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  as: (cpuSeconds: number) => number,
): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(after).map(([name, value]) => {
      const start = before[name];
      return [name, value === undefined || start === undefined ? null : as(value - start)];
    }),
  );
}

/**
 * CPU milliseconds each process used per unit of work (an image, a job) between two `cpuAccounts`
 * readings, each rounded by `round`, and their total from the unrounded figures (eight processes
 * rounded to 0.1 ms each could be 0.4 ms off), to 0.01 ms.
 */
export function cpuMsPer(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  units: number,
  round: (ms: number) => number,
): { byProcess: Record<string, number | null>; total: number } {
  const used = cpuBetween(before, after, (seconds) => (seconds * 1000) / units);
  const byProcess = Object.fromEntries(
    Object.entries(used).map(([name, ms]) => [name, ms === null ? null : round(ms)]),
  );
  const total = Object.values(used).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  return { byProcess, total: Math.round(total * 100) / 100 };
}

/** Percent of one core each process used between two `cpuAccounts` readings `seconds` apart. */
export const cpuPercent = (
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  seconds: number,
) => cpuBetween(before, after, (used) => Math.round((used / seconds) * 100));

export interface Service {
  name: string;
  port: number;
  child: ChildProcess;
}

/**
 * The benchmark's HTTP client: a pool of keep-alive connections to the gateway. Not `fetch`: at
 * 1,000 requests/s fetch alone takes most of a core, and the client's own delays would be
 * measured as the service's latency.
 */
export class ApiClient {
  private readonly pool: Pool;

  constructor(baseUrl: string) {
    this.pool = new Pool(baseUrl, { connections: 128 });
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const response = await this.pool.request({ path, method: 'GET' });
    return { status: response.statusCode, body: await response.body.text() };
  }

  async post(path: string, body: unknown): Promise<{ status: number; body: string }> {
    const response = await this.pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  /** The job's status word, or undefined when the answer has none (an unknown job, an outage). */
  async statusOf(jobId: number): Promise<string | undefined> {
    const { body } = await this.get(`/api/status?jobid=${jobId}`);
    return (JSON.parse(body) as { status?: string }).status;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface BenchStack {
  api: ApiClient;
  services: Service[];
  prefix: string;
  dbName: string;
  /** The settings every service of the stack runs with (broker, database, prefix). */
  env: Record<string, string | undefined>;
  stop: () => Promise<void>;
}

/** How a bench stack runs: where the broker and the database are, and the processors' settings. */
export interface StackSettings {
  amqpUrl: string;
  mongoUrl: string;
  /** Image requests each processor works on at once; the image-processor's own default when unset. */
  concurrency?: number;
  delayMode: 'spec' | 'zero';
}

/**
 * Starts every service as its own process, on a fresh queue prefix and — unless `dbName` names a
 * database already filled (a history) — a fresh database; `masterFile` is the store master the
 * services import at start (the sample stores by default).
 */
export async function startBenchStack(
  processors: number,
  settings: StackSettings,
  options: { dbName?: string; masterFile?: string } = {},
): Promise<BenchStack> {
  const { amqpUrl, mongoUrl, concurrency, delayMode } = settings;
  const suffix = randomBytes(3).toString('hex');
  const prefix = `rpb-${suffix}`;
  const dbName = options.dbName ?? `rp_bench_${suffix}`;
  const ports = {
    gateway: await freePort(),
    ingest: await freePort(),
    'status-api': await freePort(),
    projection: await freePort(),
  };
  const env = {
    ...process.env,
    AMQP_URL: amqpUrl,
    MONGO_URL: mongoUrl,
    MONGO_DB: dbName,
    TOPOLOGY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    PORT: String(ports.gateway),
    INGEST_PORT: String(ports.ingest),
    STATUS_API_PORT: String(ports['status-api']),
    PROJECTION_HEALTH_PORT: String(ports.projection),
    IMAGE_ALLOW_PRIVATE_NETWORKS: 'true', // the image server is on 127.0.0.1
    ...(concurrency !== undefined ? { IMAGE_CONCURRENCY: String(concurrency) } : {}),
    GPU_DELAY_MIN_MS: delayMode === 'spec' ? '100' : '0',
    GPU_DELAY_MAX_MS: delayMode === 'spec' ? '400' : '0',
    RATE_LIMIT_PER_SECOND: '0',
    STORE_MASTER_FILE: options.masterFile ?? `${projectRoot}/infra/data/sample-stores.csv`,
  };
  const services: Service[] = [];
  const start = async (name: string, entry: string, port: number, extra: Record<string, string> = {}) => {
    // BENCH_CPU_PROFILE_DIR=<dir>: every service writes a V8 CPU profile there when it stops.
    const profile = process.env.BENCH_CPU_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}/${name}`]
      : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', `services/${entry}/src/index.ts`], {
      cwd: projectRoot,
      env: { ...env, ...extra },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    services.push({ name, port, child });
    for (const deadline = Date.now() + 60_000; ;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start`);
      await sleep(100);
    }
  };
  for (let index = 0; index < processors; index++) {
    const port = await freePort();
    await start(`image-processor-${index + 1}`, 'image-processor', port, { PROCESSOR_HEALTH_PORT: String(port) });
  }
  await Promise.all([
    start('projection', 'projection', ports.projection),
    start('ingest', 'ingest', ports.ingest),
    start('status-api', 'status-api', ports['status-api']),
    start('gateway', 'gateway', ports.gateway),
  ]);
  const api = new ApiClient(`http://127.0.0.1:${ports.gateway}`);
  return {
    api,
    services,
    prefix,
    dbName,
    env,
    stop: async () => {
      await api.close();
      await Promise.all(
        services.map(
          (service) =>
            new Promise<void>((resolve) => {
              if (service.child.exitCode !== null) return resolve();
              service.child.once('exit', () => resolve());
              service.child.kill('SIGTERM');
            }),
        ),
      );
      // Its queues and exchanges are its own (its prefix): left behind, they pile up in the broker.
      await deleteTopology(amqpUrl, buildTopology(prefix)).catch(() => undefined);
    },
  };
}

/** Drops a database the bench made (a stack's, or a history's). */
export async function dropDatabase(mongoUrl: string, dbName: string): Promise<void> {
  const { client, db } = await connectMongo(mongoUrl, dbName);
  await db.dropDatabase();
  await client.close();
}
