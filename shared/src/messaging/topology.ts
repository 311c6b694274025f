/**
 * The whole RabbitMQ topology, as data: every exchange, queue and binding of Retail Pulse.
 * Every service declares all of it at (re)connect, so no publisher ever publishes into an
 * exchange whose queues do not exist yet. `infra/rabbitmq/definitions.json` mirrors it
 * for the default prefix (a unit test keeps the two equal).
 */
import { delayQueueBindings, delayQueueName, delayQueues, type DelayedRetries } from './delayedRetries';

export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'direct' | 'fanout';
}

export interface QueueSpec {
  name: string;
  arguments: Record<string, string | number | boolean>;
}

export interface BindingSpec {
  exchange: string;
  queue: string;
  routingKey: string;
}

export interface Topology {
  names: TopologyNames;
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  bindings: BindingSpec[];
}

export interface TopologyNames {
  /** Domain events, routed by event type. */
  eventsExchange: string;
  /** Work items (ImageRequested). */
  workExchange: string;
  /** Delayed retries of work items, routed to the delay queue named by the routing key. */
  retryExchange: string;
  deadLetterExchange: string;
  /**
   * Notices of jobs the projection has just settled, fanned out to every status API (each binds a
   * queue of its own while it runs). Hints only: a lost notice costs a database read, never a
   * wrong answer.
   */
  jobSettledExchange: string;
  /**
   * `StoreMasterImported` notices, fanned out to every image-processor and status API (a queue of
   * each one's own while it runs). Hints only: each also reads the current version every few seconds.
   */
  storeMasterExchange: string;
  /** Every event, to be appended to the log and folded (single active consumer). */
  projectionQueue: string;
  /** JobSubmitted, to be fanned out into one ImageRequested per image. */
  dispatchQueue: string;
  imageRequestsQueue: string;
  deadLetterQueue: string;
  /** Image requests to be tried again later: their delay queues, and the way back to the work queue. */
  imageRetries: DelayedRetries;
  /** Delay queue of image-request retry level `i` (0-based). */
  retryQueue: (level: number) => string;
}

/** Work-queue delivery attempts before the broker itself dead-letters a message (a backstop). */
export const BROKER_DELIVERY_LIMIT = 20;

/**
 * Delays of the retry levels, in milliseconds. A message retried at level i waits up to this long
 * in that level's delay queue; the image-processor's retry policy (process/retryPolicy.ts) picks
 * the level and the jitter.
 */
export const RETRY_DELAYS_MS = [1_000, 5_000, 25_000] as const;

export const ImageRequestedRoutingKey = 'ImageRequested';

export function buildTopology(prefix: string): Topology {
  const imageRetries: DelayedRetries = {
    workQueue: `${prefix}.image-requests`,
    workExchange: `${prefix}.work`,
    workRoutingKey: ImageRequestedRoutingKey,
    retryExchange: `${prefix}.retry`,
    levelsMs: RETRY_DELAYS_MS,
  };
  const names: TopologyNames = {
    eventsExchange: `${prefix}.events`,
    workExchange: `${prefix}.work`,
    retryExchange: `${prefix}.retry`,
    deadLetterExchange: `${prefix}.dead-letter`,
    jobSettledExchange: `${prefix}.job-settled`,
    storeMasterExchange: `${prefix}.store-master`,
    projectionQueue: `${prefix}.projection`,
    dispatchQueue: `${prefix}.dispatch`,
    imageRequestsQueue: `${prefix}.image-requests`,
    deadLetterQueue: `${prefix}.dead-letters`,
    imageRetries,
    retryQueue: (level) => delayQueueName(imageRetries, level),
  };
  const quorum = (extra: Record<string, string | number | boolean> = {}) => ({
    'x-queue-type': 'quorum',
    'x-delivery-limit': BROKER_DELIVERY_LIMIT,
    'x-dead-letter-exchange': names.deadLetterExchange,
    ...extra,
  });
  // Quorum queues like the work queue, emptied by the image-processor's forwarder when each retry
  // is due (delayedRetries.ts says why not by TTL and dead-lettering). Named `.retry-<n>`: the
  // `.delay-<n>` queues of earlier installations had a TTL, and RabbitMQ refuses to declare a
  // queue again with other arguments.
  const retryQueues = delayQueues(imageRetries, quorum());
  return {
    names,
    exchanges: [
      { name: names.eventsExchange, type: 'topic' },
      { name: names.workExchange, type: 'direct' },
      { name: names.retryExchange, type: 'direct' },
      { name: names.deadLetterExchange, type: 'fanout' },
      { name: names.jobSettledExchange, type: 'fanout' },
      { name: names.storeMasterExchange, type: 'fanout' },
    ],
    queues: [
      { name: names.projectionQueue, arguments: quorum({ 'x-single-active-consumer': true }) },
      { name: names.dispatchQueue, arguments: quorum() },
      { name: names.imageRequestsQueue, arguments: quorum() },
      { name: names.deadLetterQueue, arguments: { 'x-queue-type': 'quorum' } },
      ...retryQueues,
    ],
    bindings: [
      { exchange: names.eventsExchange, queue: names.projectionQueue, routingKey: '#' },
      { exchange: names.eventsExchange, queue: names.dispatchQueue, routingKey: 'JobSubmitted' },
      { exchange: names.workExchange, queue: names.imageRequestsQueue, routingKey: ImageRequestedRoutingKey },
      { exchange: names.deadLetterExchange, queue: names.deadLetterQueue, routingKey: '' },
      ...delayQueueBindings(imageRetries),
    ],
  };
}

/** One route a message takes: where it is published, which queue holds it, who consumes it, what that emits. */
export interface MessageRoute {
  message: string;
  exchange: string;
  queue: string;
  consumer: string;
  emits: string;
}

/**
 * The route between services, written down once (the README's table is rendered from it and a
 * unit test keeps the two equal). Names are for the default prefix `rp`.
 */
export function messageRoutes(names: TopologyNames = buildTopology('rp').names): MessageRoute[] {
  return [
    {
      message: 'JobSubmitted',
      exchange: `${names.eventsExchange} (JobSubmitted)`,
      queue: names.dispatchQueue,
      consumer: 'services/image-processor/src/dispatch/dispatcher.ts',
      emits: `ImageRequested × images → ${names.workExchange}`,
    },
    {
      message: 'ImageRequested',
      exchange: `${names.workExchange} (${ImageRequestedRoutingKey})`,
      queue: names.imageRequestsQueue,
      consumer: 'services/image-processor/src/process/processImage.ts',
      emits: `ImageProcessed or ImageFailed → ${names.eventsExchange}; a retry → ${names.retryExchange}`,
    },
    {
      message: 'ImageRequested (retry)',
      exchange: `${names.retryExchange} (${names.retryQueue(0).replace(/0$/, 'N')})`,
      queue: names.retryQueue(0).replace(/0$/, 'N'),
      consumer: 'shared/src/messaging/retryForwarder.ts (run by the image-processor)',
      emits: `the same message once due → ${names.workExchange}`,
    },
    {
      message: 'JobSubmitted, ImageProcessed, ImageFailed',
      exchange: `${names.eventsExchange} (#)`,
      queue: names.projectionQueue,
      consumer: 'services/projection/src/batcher.ts → projector.ts',
      emits: `the event log and read models; settled jobs → ${names.jobSettledExchange}`,
    },
    {
      message: 'SwitchReadModels',
      exchange: '(default exchange)',
      queue: names.projectionQueue,
      consumer: 'services/projection/src/projector.ts',
      emits: 'the read-model generations served',
    },
    {
      message: 'JobSettledNotice',
      exchange: names.jobSettledExchange,
      queue: 'one exclusive queue per status API',
      consumer: 'services/status-api/src/jobStatus/query.ts',
      emits: 'nothing (answers from memory)',
    },
    {
      message: 'StoreMasterImported',
      exchange: names.storeMasterExchange,
      queue: 'one exclusive queue per image-processor and status API',
      consumer: 'shared/src/storeMaster/current.ts',
      emits: 'nothing (the new master, loaded whole, swapped in)',
    },
    {
      message: 'any message refused or failing for good',
      exchange: names.deadLetterExchange,
      queue: names.deadLetterQueue,
      consumer: '`npm run dead-letters` (shared/src/messaging/deadLettersCli.ts)',
      emits: 'on re-drive, the message back to its queue',
    },
  ];
}

/** The route table as Markdown, as the README shows it. */
export function renderMessageRoutes(routes: MessageRoute[] = messageRoutes()): string {
  const rows = routes.map(
    (route) => `| ${route.message} | ${route.exchange} | ${route.queue} | ${route.consumer} | ${route.emits} |`,
  );
  return ['| message | exchange (routing key) | queue | consumed by | emits |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/**
 * The topology as declared on a cluster of `nodes` nodes: every quorum queue (work, events, delay
 * and dead letters) starts with a member on each node (`x-quorum-initial-group-size`), so losing
 * any one node loses no message and leaves a majority. On one node it is the topology unchanged:
 * RabbitMQ refuses to declare an existing queue with different arguments, and installations on a
 * single node declared theirs without the group size.
 */
export function replicatedOn(topology: Topology, nodes: number): Topology {
  if (nodes <= 1) return topology;
  return {
    ...topology,
    queues: topology.queues.map((queue) =>
      queue.arguments['x-queue-type'] === 'quorum'
        ? { ...queue, arguments: { ...queue.arguments, 'x-quorum-initial-group-size': nodes } }
        : queue,
    ),
  };
}
