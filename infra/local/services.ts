/**
 * Brings up the infrastructure on a machine without Docker: the local RabbitMQ (started if it is
 * installed but stopped, management and Prometheus plugins enabled) and FerretDB (installed with Go if missing,
 * started on 127.0.0.1:27017 with its SQLite backend). Reuses whatever already runs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  cpSync,
  chmodSync,
  rmSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { waitForBroker } from './brokerHealth';

const run = promisify(execFile);
export const projectRoot = resolve(__dirname, '../..');
const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export type Say = (message: string) => void;

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolvePort(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port, host)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/** The machine's RabbitMQ, as `npm start`, the tests and the benches use it unless AMQP_URL says otherwise. */
export const LOCAL_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Makes sure RabbitMQ answers on 5672 with its management UI on 15672. Returns true if it started it.
 * A node that listens but completes no AMQP handshake in 60 s is a BrokerSilentError (one this
 * started is stopped first): whatever needed it would otherwise retry in silence.
 */
export async function ensureRabbitMq(say: Say): Promise<boolean> {
  let started = false;
  if (!(await portOpen(5672))) {
    say('RabbitMQ is not running: starting it (rabbitmq-server -detached)');
    await run('rabbitmq-server', ['-detached']).catch((error: Error) => {
      throw new Error(`cannot start RabbitMQ (${error.message}); is it installed?`);
    });
    await waitForPort(5672, 90_000);
    await run('rabbitmqctl', ['await_startup'], { timeout: 90_000 }).catch(() => undefined);
    started = true;
  }
  await waitForBroker(LOCAL_AMQP_URL).catch(async (error: unknown) => {
    if (started) await stopRabbitMq();
    throw error;
  });
  if (!(await portOpen(15672))) {
    say('enabling the RabbitMQ management plugin (UI on http://127.0.0.1:15672)');
    await run('rabbitmq-plugins', ['enable', 'rabbitmq_management'], { timeout: 120_000 }).catch((error: Error) =>
      say(`could not enable the management plugin: ${error.message}`),
    );
  }
  await ensureRabbitMqPrometheus(say);
  return started;
}

/** RabbitMQ's Prometheus plugin's port: queue depths as RabbitMQ itself counts them. */
export const RABBITMQ_PROMETHEUS_PORT = 15692;

/** Makes sure RabbitMQ's Prometheus plugin answers on 15692, enabling it (live, no restart) when it does not. */
export async function ensureRabbitMqPrometheus(say: Say): Promise<void> {
  if (await portOpen(RABBITMQ_PROMETHEUS_PORT)) return;
  say(`enabling the RabbitMQ Prometheus plugin (metrics on http://127.0.0.1:${RABBITMQ_PROMETHEUS_PORT}/metrics)`);
  await run('rabbitmq-plugins', ['enable', 'rabbitmq_prometheus'], { timeout: 120_000 }).catch((error: Error) =>
    say(`could not enable the Prometheus plugin: ${error.message}`),
  );
}

export async function stopRabbitMq(): Promise<void> {
  await run('rabbitmqctl', ['stop'], { timeout: 60_000 }).catch(() => undefined);
}

async function goBinDir(): Promise<string> {
  const { stdout } = await run('go', ['env', 'GOPATH']);
  return join(stdout.trim().split(':')[0]!, 'bin');
}

async function isFerretDb(binary: string): Promise<boolean> {
  if (!existsSync(binary)) return false;
  try {
    // Run elsewhere: FerretDB writes a state.json into its working directory even for --version.
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000, cwd: tmpdir() });
    return stdout.includes(FERRETDB_VERSION);
  } catch {
    return false;
  }
}

/**
 * Finds FerretDB, installing it if missing: `go install …@v1.24.2`, and, where the module proxy
 * refuses the version listing that `go install` asks for (or the built binary lacks its version
 * file), a build of the same module version from the Go module cache.
 */
export async function ensureFerretDbBinary(say: Say): Promise<string> {
  const binary = join(await goBinDir(), 'ferretdb');
  if (await isFerretDb(binary)) return binary;
  say(`installing FerretDB ${FERRETDB_VERSION} (go install; takes a minute or two the first time)`);
  try {
    await run('go', ['install', `${FERRETDB_MODULE}/cmd/ferretdb@${FERRETDB_VERSION}`], { timeout: 900_000 });
    if (await isFerretDb(binary)) return binary;
  } catch (error) {
    say(`go install did not succeed (${(error as Error).message.split('\n')[0]}); building from the module cache`);
  }
  const { stdout } = await run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
    timeout: 600_000,
  });
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  const buildDir = join(projectRoot, '.data', 'ferretdb-src');
  rmSync(buildDir, { recursive: true, force: true });
  cpSync(moduleDir, buildDir, { recursive: true });
  chmodSync(join(buildDir, 'build', 'version'), 0o755);
  writeFileSync(join(buildDir, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  await run('go', ['build', '-trimpath', '-o', binary, './cmd/ferretdb'], { cwd: buildDir, timeout: 900_000 });
  rmSync(buildDir, { recursive: true, force: true });
  if (!(await isFerretDb(binary))) throw new Error(`FerretDB build at ${binary} does not report ${FERRETDB_VERSION}`);
  return binary;
}

/** FERRETDB_SQLITE_DIR, unless already set, for what this process starts. */
function useSqliteDir(dir: string | undefined): void {
  if (dir !== undefined && process.env.FERRETDB_SQLITE_DIR === undefined) process.env.FERRETDB_SQLITE_DIR = dir;
}

/**
 * Where the FerretDB serving 127.0.0.1:<port> keeps its SQLite files, read from its command line
 * (`/proc`), when it is a FerretDB on SQLite started like `ensureFerretDb` does — by this checkout
 * or another one. Reads by `_id` are indexed in those files (shared/src/mongo/idLookups.ts), so a
 * stack or test run that reuses another checkout's FerretDB must point there, not at its own
 * `.data/ferretdb`. Undefined when nothing like it is found (MongoDB, another machine).
 */
export function servingSqliteDir(port = 27017): string | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!argv.includes(`--listen-addr=127.0.0.1:${port}`)) continue;
    const url = argv.find((arg) => arg.startsWith('--sqlite-url=file:'));
    if (url) return url.slice('--sqlite-url=file:'.length).replace(/\/$/, '');
  }
  return undefined;
}

/**
 * Starts FerretDB on 127.0.0.1:<port> unless something already listens there. Returns the child it
 * started. Either way it points FERRETDB_SQLITE_DIR (unless set) at that FerretDB's SQLite files,
 * for the services started from this process: they index reads by `_id` in those files
 * (shared/src/mongo/idLookups.ts), and looking in their own checkout's `.data/ferretdb` instead
 * finds nothing, says nothing, and leaves every read a scan (a bench reusing another checkout's
 * FerretDB ran its submit phase 10× slower so).
 */
export async function ensureFerretDb(
  say: Say,
  dataDir = join(projectRoot, '.data', 'ferretdb'),
  port = 27017,
): Promise<ChildProcess | undefined> {
  if (await portOpen(port)) {
    useSqliteDir(servingSqliteDir(port));
    return undefined;
  }
  useSqliteDir(dataDir);
  const binary = await ensureFerretDbBinary(say);
  mkdirSync(dataDir, { recursive: true });
  const logFile = openSync(join(dataDir, 'ferretdb.log'), 'a');
  say(`starting FerretDB on 127.0.0.1:${port} (SQLite data in ${dataDir})`);
  const child = spawn(
    binary,
    [
      '--telemetry=disable',
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--log-level=warn',
    ],
    { stdio: ['ignore', logFile, logFile], detached: false },
  );
  await Promise.race([
    waitForPort(port, 60_000),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`FerretDB exited with code ${code}`)))),
  ]);
  return child;
}
