/**
 * The suite's watch on the RabbitMQ it uses. A broker that stops completing handshakes fails every
 * later test the same way (`connect ETIMEDOUT` after 60 s each), so the setup first makes sure the
 * broker answers, and while the suite runs it counts the broker's sockets: when they climb, or a
 * handshake fails, it prints what RabbitMQ says of itself (alarms, file descriptors, sockets) and
 * which connections it holds — the run's output then says why, not only that.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { amqpNodeUrls } from '../../shared/src/messaging/nodes';
import { testRabbitmqctl } from './ownRabbitMq';

const run = promisify(execFile);

/** Sockets on the broker's port past which the watch reports (a run holds ~10 at a time). */
const MANY_SOCKETS = 200;
const SAMPLE_EVERY_MS = 5_000;
const REPORT_AT_MOST_EVERY_MS = 60_000;

type Say = (message: string) => void;

/** The TCP sockets on the broker's side of `port`, by state (ESTAB, CLOSE-WAIT, …). */
export async function brokerSockets(port: number): Promise<Map<string, number>> {
  const { stdout } = await run('ss', ['-Htan', `( sport = :${port} )`], { timeout: 5_000 });
  const states = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const state = line.trim().split(/\s+/)[0];
    if (state && state !== 'LISTEN') states.set(state, (states.get(state) ?? 0) + 1);
  }
  return states;
}

function describeSockets(states: Map<string, number>): string {
  const parts = [...states].map(([state, count]) => `${count} ${state}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** RabbitMQ's own account of alarms, file descriptors and sockets, and its connections by name. */
export async function brokerDiagnostics(port: number): Promise<string> {
  const lines = [`sockets on :${port}: ${describeSockets(await brokerSockets(port).catch(() => new Map()))}`];
  try {
    const stdout = await testRabbitmqctl(['status', '--formatter', 'json']);
    const status = JSON.parse(stdout) as {
      alarms?: unknown[];
      file_descriptors?: Record<string, number>;
      memory?: { total?: Record<string, number> };
    };
    lines.push(`alarms: ${JSON.stringify(status.alarms ?? [])}`);
    lines.push(`file descriptors: ${JSON.stringify(status.file_descriptors ?? {})}`);
  } catch (error) {
    lines.push(`rabbitmqctl status did not answer: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const stdout = await testRabbitmqctl([
      'list_connections',
      '-q',
      '--no-table-headers',
      'state',
      'client_properties',
    ]);
    const byName = new Map<string, number>();
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [state, properties = ''] = line.split('\t');
      const client = /\{"connection_name","([^"]*)"\}/.exec(properties)?.[1] ?? 'unnamed';
      const key = `${client} (${state})`;
      byName.set(key, (byName.get(key) ?? 0) + 1);
    }
    const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15);
    lines.push(`connections: ${top.map(([key, count]) => `${count}× ${key}`).join('; ') || 'none'}`);
  } catch (error) {
    lines.push(`rabbitmqctl list_connections did not answer: ${(error as Error).message.split('\n')[0]}`);
  }
  return lines.join('\n');
}

async function handshake(url: string, timeoutMs: number): Promise<void> {
  const connection = await amqp.connect(url, { timeout: timeoutMs });
  await connection.close();
}

/** Waits until the broker completes an AMQP handshake; throws with its diagnostics when it never does. */
export async function waitForBroker(amqpUrl: string, timeoutMs = 60_000): Promise<void> {
  const url = amqpNodeUrls(amqpUrl)[0]!;
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      await handshake(url, 5_000);
      return;
    } catch (error) {
      lastError = (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  const port = Number(new URL(url).port || 5672);
  throw new Error(
    `RabbitMQ at ${url.replace(/\/\/[^@]*@/, '//')} completed no AMQP handshake in ${timeoutMs} ms ` +
      `(last: ${lastError}); every test that needs it would fail.\n${await brokerDiagnostics(port)}`,
  );
}

/**
 * Samples the broker's sockets every few seconds for the whole run (the timer never holds the
 * process open); reports when they pass MANY_SOCKETS. Returns a stop function that gives the peak.
 */
export function watchBroker(amqpUrl: string, say: Say): () => string {
  const url = amqpNodeUrls(amqpUrl)[0]!;
  const port = Number(new URL(url).port || 5672);
  let peak = 0;
  let lastReport = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const states = await brokerSockets(port);
      const total = [...states.values()].reduce((sum, count) => sum + count, 0);
      peak = Math.max(peak, total);
      if (total >= MANY_SOCKETS && Date.now() - lastReport >= REPORT_AT_MOST_EVERY_MS) {
        lastReport = Date.now();
        say(`RabbitMQ holds ${total} sockets (${describeSockets(states)}):\n${await brokerDiagnostics(port)}`);
      }
    })()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, SAMPLE_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    return `at most ${peak} sockets on RabbitMQ's port :${port} at a time`;
  };
}
