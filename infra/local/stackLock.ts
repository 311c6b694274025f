/**
 * One stack per data directory and per set of ports. `npm start` takes a lock file in its data
 * directory and checks that its services' ports are free before it starts anything, so a second
 * start is refused with one line — instead of services that die on a taken port, restart with
 * backoff forever, and attach to the queues as consumers between crashes.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';

/** The port of each supervised service, by service name, the gateway first. */
export type StackPorts = Record<string, number>;

const stackLockSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  ports: z.record(z.string(), z.number().int()),
});
type StackLock = z.infer<typeof stackLockSchema>;

/** This start must not go ahead; the message is the one line the operator sees. */
export class StackRefused extends Error {}

const secondStackHint =
  'stop it first or set RP_DATA_DIR and PORT/INGEST_PORT/STATUS_API_PORT/PROJECTION_HEALTH_PORT/PROCESSOR_HEALTH_PORT for a second stack';

function describePorts(ports: StackPorts): string {
  return Object.entries(ports)
    .map(([name, port]) => (name === 'gateway' ? `gateway http://127.0.0.1:${port}` : `${name} :${port}`))
    .join(', ');
}

/** Local clock time, with the day when it is not today. */
function since(startedAt: string): string {
  const started = new Date(startedAt);
  const time = started.toTimeString().slice(0, 5);
  return started.toDateString() === new Date().toDateString() ? time : `${started.toDateString().slice(4, 10)} ${time}`;
}

function alreadyRunning(lock: StackLock): StackRefused {
  return new StackRefused(
    `Retail Pulse is already running (pid ${lock.pid}, since ${since(lock.startedAt)}): ${describePorts(lock.ports)}; ${secondStackHint}`,
  );
}

export function portsInUse(ports: StackPorts): StackRefused {
  return new StackRefused(
    `Retail Pulse cannot start: already in use, by another stack or another program: ${describePorts(ports)}; ${secondStackHint}`,
  );
}

/** The lock at `path`; nothing when there is none or it says nothing usable (taken over, then). */
function readLock(path: string): StackLock | undefined {
  try {
    return stackLockSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Whether a lock's holder still runs: a pid that is gone, or now another program's, frees the lock. */
function holderRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('supervisor');
  } catch {
    return true; // no /proc to ask (macOS): a live pid is taken at its word
  }
}

/**
 * Takes `<dataDir>/stack.lock` for this process, or throws StackRefused naming the running stack.
 * A lock whose process is gone is taken over. Returns the release, which removes the lock only
 * while it is still this process's.
 */
export function takeStackLock(dataDir: string, ports: StackPorts, say: (message: string) => void): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'stack.lock');
  const draft = `${path}.${process.pid}`;
  const lock: StackLock = { pid: process.pid, startedAt: new Date().toISOString(), ports };
  writeFileSync(draft, `${JSON.stringify(lock)}\n`);
  try {
    // A hard link appears whole or not at all: no other start ever reads a half-written lock.
    for (;;) {
      try {
        linkSync(draft, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readLock(path);
      if (holder && holderRunning(holder.pid)) throw alreadyRunning(holder);
      say(`taking over ${path}: the stack that held it (pid ${holder?.pid ?? 'unknown'}) is gone`);
      rmSync(path, { force: true });
    }
  } finally {
    rmSync(draft, { force: true });
  }
  return () => {
    if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
  };
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(true) : reject(error),
    );
    // The services listen on every interface; so does the probe, to meet whatever holds the port.
    probe.listen({ port, host: '0.0.0.0', exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/** The ports among these that something already listens on. */
export async function takenPorts(ports: StackPorts): Promise<StackPorts> {
  const taken: StackPorts = {};
  for (const [name, port] of Object.entries(ports)) if (await portTaken(port)) taken[name] = port;
  return taken;
}

/** Two services of one stack on one port would fight over it: refused before either starts. */
export function assertDistinctPorts(ports: StackPorts): void {
  const names = new Map<number, string>();
  for (const [name, port] of Object.entries(ports)) {
    const other = names.get(port);
    if (other) throw new StackRefused(`Retail Pulse cannot start: ${other} and ${name} are both set to port ${port}`);
    names.set(port, name);
  }
}
