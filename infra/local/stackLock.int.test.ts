import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/stack';
import { assertDistinctPorts, takenPorts, takeStackLock } from './stackLock';

/** The lock on a real file system and the port check on real sockets; the e2e test runs whole stacks. */
let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'rp-stack-lock-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const ports = { gateway: 8080, ingest: 8081 };
const lockFile = () => join(dataDir, 'stack.lock');
const readLock = () => JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number };

it('takes over a lock whose pid now belongs to another program, and releases only its own', () => {
  // Jest's pid is alive but no supervisor's: what a pid reused after a reboot looks like.
  writeFileSync(lockFile(), JSON.stringify({ pid: process.ppid, startedAt: new Date().toISOString(), ports }));
  const said: string[] = [];
  const release = takeStackLock(dataDir, ports, (message) => said.push(message));
  expect(readLock().pid).toBe(process.pid);
  expect(said).toEqual([`taking over ${lockFile()}: the stack that held it (pid ${process.ppid}) is gone`]);

  writeFileSync(lockFile(), JSON.stringify({ pid: 1, startedAt: new Date().toISOString(), ports }));
  release();
  expect(readLock().pid).toBe(1);
});

it('refuses two services on one port, naming both', () => {
  expect(() => assertDistinctPorts({ gateway: 9000, ingest: 9001, 'status-api': 9000 })).toThrow(
    'Retail Pulse cannot start: gateway and status-api are both set to port 9000',
  );
});

it('finds the ports something listens on', async () => {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const busy = (listener.address() as { port: number }).port;
  const free = await freePort();
  try {
    expect(await takenPorts({ gateway: busy, ingest: free })).toEqual({ gateway: busy });
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
});
