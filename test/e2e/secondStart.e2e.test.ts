import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureFerretDb, portOpen } from '../../infra/local/services';
import { freePort, serviceEnv } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/** `npm start` while a stack runs: refused at once with one line, and the running stack is untouched. */
const root = resolve(__dirname, '../..');
const services = ['gateway', 'ingest', 'status-api', 'projection', 'image-processor'] as const;
type Ports = Record<(typeof services)[number], number>;

interface Supervisor {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

let environment: TestEnvironment;
const dataDirs: string[] = [];
const supervisors: Supervisor[] = [];

beforeAll(async () => {
  environment = await createTestEnvironment('secondstart');
});
afterAll(async () => {
  await Promise.all(supervisors.map(stop));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await environment?.cleanup();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rp-second-start-'));
  dataDirs.push(dir);
  return dir;
}

async function freePorts(): Promise<Ports> {
  const ports = {} as Ports;
  for (const name of services) ports[name] = await freePort();
  return ports;
}

function startSupervisor(
  ports: Ports,
  stackDataDir: string,
  extraEnv: Record<string, string | undefined> = {},
): Supervisor {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/supervisor.ts'], {
    cwd: root,
    // Its own process group, so that a supervisor that will not stop is killed with its services.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...serviceEnv(environment),
      RP_DATA_DIR: stackDataDir,
      IMAGE_PROCESSORS: '1',
      PORT: String(ports.gateway),
      INGEST_PORT: String(ports.ingest),
      STATUS_API_PORT: String(ports['status-api']),
      PROJECTION_HEALTH_PORT: String(ports.projection),
      PROCESSOR_HEALTH_PORT: String(ports['image-processor']),
      ...extraEnv,
    },
  });
  const supervisor: Supervisor = {
    child,
    stdout: [],
    stderr: [],
    exited: new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code))),
  };
  child.stdout?.on('data', (chunk: Buffer) => supervisor.stdout.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => supervisor.stderr.push(chunk.toString()));
  supervisors.push(supervisor);
  return supervisor;
}

async function stop(supervisor: Supervisor): Promise<number | null> {
  const { child } = supervisor;
  if (child.exitCode !== null || child.signalCode !== null) return supervisor.exited;
  child.kill('SIGTERM');
  const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
  const code = await supervisor.exited;
  clearTimeout(kill);
  return code;
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
  } catch {
    return false;
  }
}

async function waitUntilServing(supervisor: Supervisor, ports: Ports): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const name of services) {
    while (!(await healthy(ports[name]))) {
      if (supervisor.child.exitCode !== null) throw new Error(`supervisor exited:\n${supervisor.stdout.join('')}`);
      if (Date.now() > deadline) throw new Error(`${name} not serving:\n${supervisor.stdout.join('')}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }
}

const listing = (ports: Ports) =>
  `gateway http://127.0.0.1:${ports.gateway}, ingest :${ports.ingest}, status-api :${ports['status-api']}, ` +
  `projection :${ports.projection}, image-processor :${ports['image-processor']}`;
const hint =
  'stop it first or set RP_DATA_DIR and PORT/INGEST_PORT/STATUS_API_PORT/PROJECTION_HEALTH_PORT/PROCESSOR_HEALTH_PORT for a second stack';

it('refuses a second start on the same data directory or ports with one line, and the first keeps serving', async () => {
  const ports = await freePorts();
  const stackDataDir = dataDir();
  const lockFile = join(stackDataDir, 'stack.lock');
  // A lock left behind by a stack that was killed: its process is gone, so the lock is taken over.
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolveExit) => gone.once('exit', resolveExit));
  writeFileSync(lockFile, JSON.stringify({ pid: gone.pid, startedAt: new Date().toISOString(), ports }));

  const first = startSupervisor(ports, stackDataDir);
  await waitUntilServing(first, ports);
  expect(first.stdout.join('')).toContain(`the stack that held it (pid ${gone.pid}) is gone`);
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; startedAt: string; ports: Ports };
  expect(lock).toEqual({ pid: first.child.pid, startedAt: expect.any(String), ports });

  const second = startSupervisor(ports, stackDataDir);
  expect(await within(second.exited, 15_000, 'second start refused')).toBe(1);
  const since = new Date(lock.startedAt).toTimeString().slice(0, 5);
  expect(second.stderr.join('')).toBe(
    `Retail Pulse is already running (pid ${first.child.pid}, since ${since}): ${listing(ports)}; ${hint}\n`,
  );
  expect(second.stdout.join('')).toBe('');

  // Another data directory, the same ports: the ports alone give the running stack away.
  const third = startSupervisor(ports, dataDir());
  expect(await within(third.exited, 15_000, 'start on taken ports refused')).toBe(1);
  expect(third.stderr.join('')).toBe(
    `Retail Pulse cannot start: already in use, by another stack or another program: ${listing(ports)}; ${hint}\n`,
  );

  for (const name of services) expect(await healthy(ports[name])).toBe(true);
  expect(await stop(first)).toBe(0);
  expect(existsSync(lockFile)).toBe(false);
});

it('stops the stack with one line, instead of restarting forever, when a service finds its port taken', async () => {
  const ports = await freePorts();
  const stackDataDir = dataDir();
  const supervisor = startSupervisor(ports, stackDataDir);
  let squatter: Server | undefined;
  try {
    // The checks are behind it once the supervisor says it is starting: take the gateway's port
    // before the gateway (still loading) gets to listen.
    await within(
      new Promise<void>((resolveStarting) =>
        supervisor.child.stdout?.on('data', () => {
          if (supervisor.stdout.join('').includes('Retail Pulse is starting')) resolveStarting();
        }),
      ),
      15_000,
      'supervisor starting',
    );
    squatter = createServer();
    await new Promise<void>((resolveListen, reject) =>
      squatter!.once('error', reject).listen(ports.gateway, '0.0.0.0', resolveListen),
    );

    expect(await within(supervisor.exited, 40_000, 'stack stopped')).toBe(1);
    expect(supervisor.stderr.join('')).toBe(
      `Retail Pulse cannot start: already in use, by another stack or another program: gateway http://127.0.0.1:${ports.gateway}; ${hint}\n`,
    );
    expect(supervisor.stdout.join('')).toContain(`gateway cannot listen on ${ports.gateway}: stopping services`);
    expect(supervisor.stdout.join('')).not.toContain('restarting');
    expect(existsSync(join(stackDataDir, 'stack.lock'))).toBe(false);
    for (const name of services.filter((service) => service !== 'gateway'))
      expect(await healthy(ports[name])).toBe(false);
  } finally {
    await new Promise((resolveClose) => (squatter ? squatter.close(resolveClose) : resolveClose(undefined)));
  }
});

it('never attaches to a FerretDB that holds other data, and leaves running the one it reused', async () => {
  const foreign = dataDir();
  const port = await freePort();
  const ferretDb = await ensureFerretDb(() => undefined, join(foreign, 'ferretdb'), port);
  if (!ferretDb) throw new Error(`127.0.0.1:${port} was taken before the test's FerretDB could listen there`);
  try {
    // No MONGO_URL: npm start looks for its own FerretDB on FERRETDB_PORT and finds another's.
    const database = { MONGO_URL: undefined, FERRETDB_PORT: String(port) };
    const refused = startSupervisor(await freePorts(), dataDir(), database);
    expect(await within(refused.exited, 60_000, 'the refusal')).toBe(1);
    expect(refused.stderr.join('')).toContain(
      `npm start refused: 127.0.0.1:${port} is served by a FerretDB holding other data (${join(foreign, 'ferretdb')})`,
    );

    // Its own data directory: reused, said so, and still running once the stack has stopped.
    const ports = await freePorts();
    const own = startSupervisor(ports, foreign, database);
    await waitUntilServing(own, ports);
    expect(own.stdout.join('')).toContain(`reusing the FerretDB already on 127.0.0.1:${port}`);
    expect(await stop(own)).toBe(0);
    expect(ferretDb.exitCode).toBeNull();
    expect(await portOpen(port)).toBe(true);
  } finally {
    ferretDb.kill('SIGTERM');
  }
});
