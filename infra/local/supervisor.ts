/**
 * `npm start`: brings up RabbitMQ and FerretDB if needed, then runs every service as its own OS
 * process with prefixed, readable logs, restarts any process that dies, and on Ctrl-C/SIGTERM stops
 * everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ensureFerretDb, ensureRabbitMq, projectRoot, stopRabbitMq } from './services';

interface ServiceSpec {
  name: string;
  entry: string;
  env: Record<string, string>;
}

const colors = [36, 35, 33, 32, 34, 91, 92, 93, 94, 95];
const tty = process.stdout.isTTY;
const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

function say(message: string): void {
  console.log(
    `${new Date().toISOString().slice(11, 23)} ${tty ? '\x1b[1m' : ''}[start]${tty ? '\x1b[0m' : ''} ${message}`,
  );
}

/** Renders a pino JSON line as `time LEVEL [service] message key=value`; other lines pass through. */
export function renderLogLine(name: string, line: string, color: number): string {
  const prefix = tty ? `\x1b[${color}m[${name}]\x1b[0m` : `[${name}]`;
  try {
    const {
      level,
      time,
      msg,
      service: _service,
      name: _name,
      pid: _pid,
      hostname: _hostname,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const extras = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    const stamp = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 23);
    return `${stamp} ${(levelNames[Number(level)] ?? 'INFO').padEnd(5)} ${prefix} ${String(msg ?? '')}${extras ? ` ${extras}` : ''}`;
  } catch {
    return `${new Date().toISOString().slice(11, 23)}       ${prefix} ${line}`;
  }
}

class SupervisedProcess {
  private child: ChildProcess | undefined;
  private restartDelay = 1_000;
  private stopping = false;
  private startedAt = 0;

  constructor(
    private readonly spec: ServiceSpec,
    private readonly color: number,
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
      createInterface({ input: stream! }).on('line', (line) =>
        console.log(renderLogLine(this.spec.name, line, this.color)),
      );
    }
    child.once('exit', (code, signal) => {
      this.child = undefined;
      if (this.stopping) return;
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { processors: { type: 'string', short: 'p', default: process.env.IMAGE_PROCESSORS ?? '1' } },
  });
  const processors = Number(values.processors);
  if (!Number.isInteger(processors) || processors < 1 || processors > 64) {
    throw new Error(`--processors must be an integer from 1 to 64 (got ${values.processors})`);
  }
  let startedRabbitMq = false;
  let ferretDb: ChildProcess | undefined;
  let stopping = false;
  const supervised: SupervisedProcess[] = [];
  const stopAll = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping services`);
    await Promise.all(supervised.map((service) => service.stop()));
    if (ferretDb) {
      say('stopping FerretDB');
      ferretDb.kill('SIGTERM');
    }
    if (startedRabbitMq) {
      say('stopping RabbitMQ');
      await stopRabbitMq();
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));

  if (!process.env.AMQP_URL) startedRabbitMq = await ensureRabbitMq(say);
  if (!process.env.MONGO_URL) {
    ferretDb = await ensureFerretDb(say);
    ferretDb?.once(
      'exit',
      (code) => !stopping && say(`FerretDB exited (code ${code}); services will retry until it is back`),
    );
  }
  const port = process.env.PORT ?? '8080';
  const specs: ServiceSpec[] = [
    { name: 'projection', entry: 'services/projection/src/index.ts', env: {} },
    { name: 'ingest', entry: 'services/ingest/src/index.ts', env: {} },
    { name: 'status-api', entry: 'services/status-api/src/index.ts', env: {} },
    ...Array.from({ length: processors }, (_, index) => ({
      name: processors === 1 ? 'image-processor' : `image-processor-${index + 1}`,
      entry: 'services/image-processor/src/index.ts',
      env: { PROCESSOR_HEALTH_PORT: String(Number(process.env.PROCESSOR_HEALTH_PORT ?? 8084) + index) },
    })),
    { name: 'gateway', entry: 'services/gateway/src/index.ts', env: { PORT: port } },
  ];
  specs.forEach((spec, index) => {
    const service = new SupervisedProcess(spec, colors[index % colors.length]!);
    supervised.push(service);
    service.start();
  });
  // `npm run cluster` names its own cluster's UI.
  const rabbitUi = process.env.RABBITMQ_UI_URL ?? 'http://localhost:15672';
  say(`Retail Pulse is starting: API on http://localhost:${port}, RabbitMQ UI on ${rabbitUi} (guest/guest)`);
}

main().catch((error: unknown) => {
  say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
