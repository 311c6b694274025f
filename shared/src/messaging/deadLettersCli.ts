/**
 * `npm run dead-letters -- list [--limit 20]`: what is in the dead-letter queue, and why.
 * `npm run dead-letters -- redrive [--limit 100] [--queue rp.image-requests]`: send them back.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { commonConfigShape, loadConfig } from '../config/config';
import { listDeadLetters, redriveDeadLetters } from './deadLetters';
import { buildTopology } from './topology';

const usage = 'usage: npm run dead-letters -- list [--limit N] | redrive [--limit N] [--queue NAME]';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { limit: { type: 'string' }, queue: { type: 'string' } },
  });
  const [command] = positionals;
  const limit = Number(values.limit ?? (command === 'list' ? 20 : 100));
  if (
    (command !== 'list' && command !== 'redrive') ||
    positionals.length !== 1 ||
    !Number.isInteger(limit) ||
    limit < 1
  ) {
    console.error(usage);
    process.exit(2);
  }
  const config = loadConfig(z.object(commonConfigShape));
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  if (command === 'list') {
    const letters = await listDeadLetters(config.AMQP_URL, topology, limit);
    for (const letter of letters) console.log(JSON.stringify(letter));
    console.log(`${letters.length} dead letter(s) shown from ${topology.names.deadLetterQueue}`);
  } else {
    const result = await redriveDeadLetters(config.AMQP_URL, topology, { limit, queue: values.queue });
    console.log(
      `re-drove ${result.redriven} dead letter(s); ${result.kept} kept (no known source queue or not selected)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(`dead-letters: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
