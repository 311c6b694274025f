/**
 * `npm start`: refuses to start when a stack already runs on its data directory or its ports,
 * brings up RabbitMQ and FerretDB if needed, then runs every service as its own OS process with
 * prefixed, readable logs, restarts any process that dies, and on Ctrl-C/SIGTERM stops everything
 * it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { env, internalTokenShape, loadConfig, webhookSecretShape } from '@retail-pulse/shared/config';
import { BrokerSilentError } from './brokerHealth';
import { colors, renderLogLine, say } from './logLines';
import { ensureFerretDb, ensureRabbitMq, projectRoot, servingSqliteDir, stopRabbitMq } from './services';
import { assertDistinctPorts, portsInUse, StackRefused, takenPorts, takeStackLock, type StackPorts } from './stackLock';
import { installationWebhookSecret } from './webhookSecret';

const configSchema = z.object({
  PORT: env.int(8080, 1, 65_535),
  INGEST_PORT: env.int(8081, 1, 65_535),
  STATUS_API_PORT: env.int(8082, 1, 65_535),
  PROJECTION_HEALTH_PORT: env.int(8083, 1, 65_535),
  /** The first image-processor's; processor i uses this + i. */
  PROCESSOR_HEALTH_PORT: env.int(8084, 1, 65_535),
  IMAGE_PROCESSORS: env.int(1, 1, 64),
  /** The stack lock, and FerretDB's data when `npm start` starts FerretDB; relative to the checkout. */
  RP_DATA_DIR: env.string('.data'),
  /** Where `npm start` looks for, or starts, this checkout's FerretDB (when MONGO_URL is not set). */
  FERRETDB_PORT: env.int(27017, 1, 65_535),
  /** The gateway's keys; only whether there are any matters here. */
  API_KEYS: z.string().optional(),
  ...internalTokenShape,
  ...webhookSecretShape,
});
type SupervisorConfig = z.infer<typeof configSchema>;

interface ServiceSpec {
  name: string;
  entry: string;
  /** The port it listens on; the supervisor checks it is free and names it when it is not. */
  port: number;
  env: Record<string, string>;
}

/** How Node reports a server that cannot listen because its port is taken. */
const portTakenLine = /listen EADDRINUSE/;

class SupervisedProcess {
  private child: ChildProcess | undefined;
  private restartDelay = 1_000;
  private stopping = false;
  private startedAt = 0;
  private portTaken = false;

  constructor(
    private readonly spec: ServiceSpec,
    private readonly color: number,
    /** A restart cannot help a service whose port something else holds: the stack stops instead. */
    private readonly onPortTaken: (spec: ServiceSpec) => void,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.entry], {
      cwd: projectRoot,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        if (portTakenLine.test(line)) this.portTaken = true;
        console.log(renderLogLine(this.spec.name, line, this.color));
      });
    }
    child.once('exit', (code, signal) => {
      this.child = undefined;
      if (this.stopping) return;
      if (this.portTaken) return this.onPortTaken(this.spec);
      if (Date.now() - this.startedAt > 30_000) this.restartDelay = 1_000;
      say(`${this.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${this.restartDelay} ms`);
      setTimeout(() => !this.stopping && this.start(), this.restartDelay);
      this.restartDelay = Math.min(this.restartDelay * 2, 30_000);
    });
  }

  stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 25_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

/**
 * With API keys on, the gateway and the services behind it share a secret, so that the internal
 * ports answer only the gateway: the one given in INTERNAL_TOKEN, else a new one for this stack.
 */
function internalTokenFor(config: SupervisorConfig): Record<string, string> {
  const keysOn = (config.API_KEYS ?? '').split(',').some((key) => key.trim() !== '');
  if (config.INTERNAL_TOKEN !== undefined) return { INTERNAL_TOKEN: config.INTERNAL_TOKEN };
  if (!keysOn) return {};
  say('API keys are on: the ingest and the status API answer only the gateway (an internal token made for this stack)');
  return { INTERNAL_TOKEN: randomBytes(32).toString('base64url') };
}

/** What `npm start` runs, each service with its port. */
function serviceSpecs(
  config: SupervisorConfig,
  processors: number,
  dataDir: string,
): { backends: ServiceSpec[]; gateway: ServiceSpec } {
  const internalToken = internalTokenFor(config);
  const webhookSecret = { WEBHOOK_SECRET: installationWebhookSecret(dataDir, config.WEBHOOK_SECRET, say) };
  const backends: ServiceSpec[] = [
    {
      name: 'ingest',
      entry: 'services/ingest/src/index.ts',
      port: config.INGEST_PORT,
      env: { INGEST_PORT: String(config.INGEST_PORT), ...internalToken, ...webhookSecret },
    },
    {
      name: 'status-api',
      entry: 'services/status-api/src/index.ts',
      port: config.STATUS_API_PORT,
      env: {
        STATUS_API_PORT: String(config.STATUS_API_PORT),
        // The dashboard's pipeline charts: every service whose metrics it samples, on this stack's ports.
        PIPELINE_METRICS_SOURCES: [
          `ingest=127.0.0.1:${config.INGEST_PORT}`,
          `projection=127.0.0.1:${config.PROJECTION_HEALTH_PORT}`,
          ...Array.from(
            { length: processors },
            (_, index) => `image-processor=127.0.0.1:${config.PROCESSOR_HEALTH_PORT + index}`,
          ),
        ].join(','),
        ...internalToken,
      },
    },
    {
      name: 'projection',
      entry: 'services/projection/src/index.ts',
      port: config.PROJECTION_HEALTH_PORT,
      env: { PROJECTION_HEALTH_PORT: String(config.PROJECTION_HEALTH_PORT) },
    },
    ...Array.from({ length: processors }, (_, index) => ({
      name: processors === 1 ? 'image-processor' : `image-processor-${index + 1}`,
      entry: 'services/image-processor/src/index.ts',
      port: config.PROCESSOR_HEALTH_PORT + index,
      env: { PROCESSOR_HEALTH_PORT: String(config.PROCESSOR_HEALTH_PORT + index), ...webhookSecret },
    })),
  ];
  const gateway: ServiceSpec = {
    name: 'gateway',
    entry: 'services/gateway/src/index.ts',
    port: config.PORT,
    env: {
      PORT: String(config.PORT),
      INGEST_PORT: String(config.INGEST_PORT),
      STATUS_API_PORT: String(config.STATUS_API_PORT),
      ...internalToken,
    },
  };
  return { backends, gateway };
}

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  const { values } = parseArgs({
    options: { processors: { type: 'string', short: 'p', default: String(config.IMAGE_PROCESSORS) } },
  });
  const processors = Number(values.processors);
  if (!Number.isInteger(processors) || processors < 1 || processors > 64) {
    throw new Error(`--processors must be an integer from 1 to 64 (got ${values.processors})`);
  }
  const dataDir = resolve(projectRoot, config.RP_DATA_DIR);
  const { backends, gateway } = serviceSpecs(config, processors, dataDir);
  const specs = [...backends, gateway];
  // The gateway first: it is the address people use.
  const ports: StackPorts = Object.fromEntries([gateway, ...backends].map((spec) => [spec.name, spec.port] as const));
  assertDistinctPorts(ports);
  const releaseLock = takeStackLock(dataDir, ports, say);
  process.on('exit', releaseLock);
  const taken = await takenPorts(ports);
  if (Object.keys(taken).length > 0) throw portsInUse(taken);

  let startedRabbitMq = false;
  let ferretDb: ChildProcess | undefined;
  let stopping = false;
  const supervised: SupervisedProcess[] = [];
  /** Stops every service and what `npm start` brought up, then exits, with `refusal` as the last word. */
  const stopAll = async (why: string, refusal?: StackRefused) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping services`);
    await Promise.all(supervised.map((service) => service.stop()));
    if (ferretDb) {
      say('stopping FerretDB');
      ferretDb.kill('SIGTERM');
    }
    if (startedRabbitMq) {
      say('stopping RabbitMQ');
      await stopRabbitMq();
    }
    if (refusal) console.error(refusal.message);
    process.exit(refusal ? 1 : 0);
  };
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));

  if (!process.env.AMQP_URL) {
    try {
      startedRabbitMq = await ensureRabbitMq(say);
    } catch (error) {
      if (!(error instanceof BrokerSilentError)) throw error;
      const howOn = 'Restart it (service rabbitmq-server restart) and run npm start again.';
      await stopAll('RabbitMQ does not answer', new StackRefused(`${error.message}\n${howOn}`));
      return;
    }
  }
  if (!process.env.MONGO_URL) {
    const ownDir = join(dataDir, 'ferretdb');
    const port = config.FERRETDB_PORT;
    refuseForeignFerretDb(port, ownDir);
    ferretDb = await ensureFerretDb(say, ownDir, port);
    if (!ferretDb) say(`reusing the FerretDB already on 127.0.0.1:${port} (data in ${ownDir})`);
    if (port !== 27017) process.env.MONGO_URL = `mongodb://127.0.0.1:${port}`;
    // The services index reads by _id in FerretDB's SQLite files (shared/src/mongo/idLookups.ts).
    process.env.FERRETDB_SQLITE_DIR ??= ownDir;
    ferretDb?.once(
      'exit',
      (code) => !stopping && say(`FerretDB exited (code ${code}); services will retry until it is back`),
    );
  }
  const onPortTaken = (spec: ServiceSpec) =>
    void stopAll(`${spec.name} cannot listen on ${spec.port}`, portsInUse({ [spec.name]: spec.port }));
  specs.forEach((spec, index) => {
    const service = new SupervisedProcess(spec, colors[index % colors.length]!, onPortTaken);
    supervised.push(service);
    service.start();
  });
  // `npm run cluster` names its own cluster's UI.
  const rabbitUi = process.env.RABBITMQ_UI_URL ?? 'http://localhost:15672';
  say(`Retail Pulse is starting: API on http://localhost:${config.PORT}, RabbitMQ UI on ${rabbitUi} (guest/guest)`);
}

/**
 * A FerretDB that another checkout (or stack) started holds that one's data: a stack attached to
 * it would answer from jobs and images it never received. Refused, with the ways out; a server
 * that is not such a FerretDB (a MongoDB the user runs) is theirs to choose with MONGO_URL.
 */
function refuseForeignFerretDb(port: number, ownDir: string): void {
  const serving = servingSqliteDir(port);
  if (serving === undefined || resolve(serving) === resolve(ownDir)) return;
  throw new StackRefused(
    [
      `npm start refused: 127.0.0.1:${port} is served by a FerretDB holding other data (${serving}), not this checkout's (${ownDir}).`,
      `Stop that FerretDB, set FERRETDB_PORT to run one of this checkout's own on another port, or set MONGO_URL=mongodb://127.0.0.1:${port} to use that data on purpose.`,
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (error instanceof StackRefused) console.error(error.message);
  else say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
