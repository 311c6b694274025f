import amqp, { type ChannelModel } from 'amqplib';
import { redactSecrets } from '../config/redact';
import { amqpNodeUrls } from './nodes';

/** A node that neither answers nor refuses is given up on after this long, and the next one tried. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connects to the first node of `amqpUrl` (one URL or a comma-separated list) that answers,
 * trying them in order from `first`. Returns the connection and the index of the node it reached.
 */
export async function connectToAnyNode(
  amqpUrl: string,
  options: { first?: number; connectionName?: string } = {},
): Promise<{ connection: ChannelModel; node: number }> {
  const urls = amqpNodeUrls(amqpUrl);
  const failures: string[] = [];
  for (let offset = 0; offset < urls.length; offset++) {
    const node = ((options.first ?? 0) + offset) % urls.length;
    try {
      const connection = await amqp.connect(urls[node]!, {
        timeout: CONNECT_TIMEOUT_MS,
        // Without TCP_NODELAY a publish's frames waited for the broker's delayed ACK: a confirm
        // of a ~3 KB message took 44 ms at p50 against 1.6 ms with it (docs/BENCHMARKS.md, 2026-12-04).
        noDelay: true,
        ...(options.connectionName ? { clientProperties: { connection_name: options.connectionName } } : {}),
      });
      return { connection, node };
    } catch (error) {
      failures.push(`${redactSecrets(urls[node]!)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no RabbitMQ node answered (${failures.join('; ')})`);
}
