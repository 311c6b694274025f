/**
 * `npm run dead-letters -- list [--limit 20]`: what is in the dead-letter queue, and why.
 * `npm run dead-letters -- redrive [--limit 100] [--queue rp.image-requests] [--max-redrives 3]`:
 * send back the letters that are there now.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { actingOn } from '../config/actingOn';
import { commonConfigShape, loadConfig } from '../config/config';
import { DEFAULT_MAX_REDRIVES, listDeadLetters, redriveDeadLetters, type RedriveResult } from './deadLetters';
import { buildTopology } from './topology';

const usage = 'usage: npm run dead-letters -- list [--limit N] | redrive [--limit N] [--queue NAME] [--max-redrives N]';

/** A wrong command line: the usage goes to stderr and the exit status is 2. */
class UsageError extends Error {}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`--${name} must be a whole number from 1`);
  return parsed;
}

function parseCommandLine() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { limit: { type: 'string' }, queue: { type: 'string' }, 'max-redrives': { type: 'string' } },
    });
  } catch (error) {
    // Node's message goes on to explain `--` for positionals; the first sentence is the point.
    throw new UsageError((error instanceof Error ? error.message : String(error)).split('. ')[0]!);
  }
  const { positionals, values } = parsed;
  const [command] = positionals;
  if ((command !== 'list' && command !== 'redrive') || positionals.length !== 1) {
    throw new UsageError('expected one command: list or redrive');
  }
  if (command === 'list' && (values.queue !== undefined || values['max-redrives'] !== undefined)) {
    throw new UsageError('list takes only --limit');
  }
  return {
    command,
    limit: positiveInteger('limit', values.limit, command === 'list' ? 20 : 100),
    queue: values.queue,
    maxRedrives: positiveInteger('max-redrives', values['max-redrives'], DEFAULT_MAX_REDRIVES),
  };
}

/** One line: how many were there, how many went back, and why the others stayed. */
function describeRedrive(
  result: RedriveResult,
  deadLetterQueue: string,
  options: { limit: number; maxRedrives: number },
): string {
  const { noSourceQueue, otherQueue, redriveLimit } = result.kept;
  const kept = noSourceQueue + otherQueue + redriveLimit;
  const why = [
    otherQueue && `${otherQueue} from other queues`,
    noSourceQueue && `${noSourceQueue} with no known source queue`,
    redriveLimit &&
      `${redriveLimit} re-driven ${options.maxRedrives} times already (--max-redrives ${options.maxRedrives})`,
  ].filter(Boolean);
  const unread = result.found - result.redriven - kept;
  return [
    `re-drove ${result.redriven} of the ${result.found} dead letter(s) in ${deadLetterQueue}`,
    `kept ${kept}${why.length > 0 ? `: ${why.join(', ')}` : ''}`,
    ...(unread > 0 ? [`${unread} not looked at (--limit ${options.limit})`] : []),
  ].join('; ');
}

async function main(): Promise<void> {
  const options = parseCommandLine();
  const config = loadConfig(z.object(commonConfigShape));
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const deadLetterQueue = topology.names.deadLetterQueue;
  const queues = topology.queues.map((queue) => queue.name).filter((name) => name !== deadLetterQueue);
  if (options.queue !== undefined && !queues.includes(options.queue)) {
    throw new UsageError(`--queue must be one of ${queues.join(', ')}`);
  }
  console.error(`dead-letters: ${actingOn(config, { broker: true })}`);
  if (options.command === 'list') {
    const letters = await listDeadLetters(config.AMQP_URL, topology, options.limit);
    for (const letter of letters) console.log(JSON.stringify(letter));
    console.log(`${letters.length} dead letter(s) shown from ${deadLetterQueue}`);
    return;
  }
  const result = await redriveDeadLetters(config.AMQP_URL, topology, options);
  console.log(describeRedrive(result, deadLetterQueue, options));
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`dead-letters: ${error.message} (${usage})`);
    process.exit(2);
  }
  console.error(`dead-letters: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
