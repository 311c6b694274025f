/**
 * Whether a RabbitMQ node answers, and its own account when it does not. A node can listen and
 * still complete no handshake (out of file descriptors, or stopped): the kernel takes the
 * connections, nothing answers them, and each client's wait ends in `connect ETIMEDOUT`. `npm start`
 * and the test setup ask first, and say why instead of failing one connection at a time.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { redactSecrets } from '@retail-pulse/shared/config';
import { amqpNodeUrls } from '@retail-pulse/shared/messaging';

const run = promisify(execFile);

/** A broker that listens but completed no AMQP handshake in the time given; the message holds its account. */
export class BrokerSilentError extends Error {}

/** The AMQP port of the first node of `amqpUrl` (one URL or a comma-separated list). */
export function amqpPortOf(amqpUrl: string): number {
  return Number(new URL(amqpNodeUrls(amqpUrl)[0]!).port || 5672);
}

/** Runs `rabbitmqctl <args>` against the node in question and gives its output. */
export type Rabbitmqctl = (args: string[]) => Promise<string>;

/** The machine's node, as the CLI finds it by default. */
export const machineRabbitmqctl: Rabbitmqctl = async (args) =>
  (await run('rabbitmqctl', args, { timeout: 20_000 })).stdout;

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

export function describeSockets(states: Map<string, number>): string {
  const parts = [...states].map(([state, count]) => `${count} ${state}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** RabbitMQ's own account of alarms, file descriptors and sockets, and its connections by name. */
export async function brokerDiagnostics(port: number, rabbitmqctl: Rabbitmqctl = machineRabbitmqctl): Promise<string> {
  const lines = [`sockets on :${port}: ${describeSockets(await brokerSockets(port).catch(() => new Map()))}`];
  try {
    const stdout = await rabbitmqctl(['status', '--formatter', 'json']);
    const status = JSON.parse(stdout) as {
      alarms?: unknown[];
      file_descriptors?: Record<string, number>;
    };
    lines.push(`alarms: ${JSON.stringify(status.alarms ?? [])}`);
    lines.push(`file descriptors: ${JSON.stringify(status.file_descriptors ?? {})}`);
  } catch (error) {
    lines.push(`rabbitmqctl status did not answer: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const stdout = await rabbitmqctl(['list_connections', '-q', '--no-table-headers', 'state', 'client_properties']);
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
export async function waitForBroker(
  amqpUrl: string,
  timeoutMs = 60_000,
  rabbitmqctl: Rabbitmqctl = machineRabbitmqctl,
): Promise<void> {
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
  const port = amqpPortOf(url);
  throw new BrokerSilentError(
    `RabbitMQ at ${redactSecrets(url)} completed no AMQP handshake in ${timeoutMs} ms ` +
      `(last: ${lastError}); nothing that needs it would work.\n${await brokerDiagnostics(port, rabbitmqctl)}`,
  );
}
