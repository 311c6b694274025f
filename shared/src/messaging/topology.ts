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
  /** The work queues retried later through delay queues, each with its delay levels. */
  retryRoutes: RetryRoutes;
}

/**
 * The work queues whose messages can be tried again later, each with its delay queues (one per
 * level) and the way back to it (delayedRetries.ts; the forwarder moves them, retryForwarder.ts).
 */
export interface RetryRoutes {
  /** ImageRequested: a download that failed for now. */
  images: DelayedRetries;
  /** WebhookRequested: a callback URL that did not take the delivery. */
  webhooks: DelayedRetries;
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
   * Notices of jobs the projection has just settled, fanned out to every status API and
   * image-processor (each binds a queue of its own while it runs). Hints only: a lost notice costs
   * a database read or a wasted download, never a wrong answer.
   */
  jobSettledExchange: string;
  /**
   * `StoreMasterImported` notices, fanned out to every image-processor and status API (a queue of
   * each one's own while it runs). Hints only: each also reads the current version every few seconds.
   */
  storeMasterExchange: string;
  /** Every event, to be appended to the log and folded (single active consumer). */
  projectionQueue: string;
  /** JobSubmitted, alone or several in a JobSubmissions message, to be fanned out into one ImageRequested per image. */
  dispatchQueue: string;
  imageRequestsQueue: string;
  /** WebhookRequested: job-settled callbacks to deliver. */
  webhooksQueue: string;
  deadLetterQueue: string;
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

/**
 * Delays of the webhook retry levels: a receiver that is down is given minutes, not seconds, to
 * come back (the deliverer's policy, services/image-processor/src/webhooks/policy.ts, sets how many).
 */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000] as const;

export const ImageRequestedRoutingKey = 'ImageRequested';
export const WebhookRequestedRoutingKey = 'WebhookRequested';

export function buildTopology(prefix: string): Topology {
  const retryRoutes: RetryRoutes = {
    images: {
      workQueue: `${prefix}.image-requests`,
      workExchange: `${prefix}.work`,
      workRoutingKey: ImageRequestedRoutingKey,
      retryExchange: `${prefix}.retry`,
      levelsMs: RETRY_DELAYS_MS,
    },
    webhooks: {
      workQueue: `${prefix}.webhooks`,
      workExchange: `${prefix}.work`,
      workRoutingKey: WebhookRequestedRoutingKey,
      retryExchange: `${prefix}.retry`,
      levelsMs: WEBHOOK_RETRY_DELAYS_MS,
    },
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
    imageRequestsQueue: retryRoutes.images.workQueue,
    webhooksQueue: retryRoutes.webhooks.workQueue,
    deadLetterQueue: `${prefix}.dead-letters`,
    retryQueue: (level) => delayQueueName(retryRoutes.images, level),
  };
  const quorum = (extra: Record<string, string | number | boolean> = {}) => ({
    'x-queue-type': 'quorum',
    'x-delivery-limit': BROKER_DELIVERY_LIMIT,
    'x-dead-letter-exchange': names.deadLetterExchange,
    ...extra,
  });
  // Quorum queues like the work queues, emptied by the image-processor's forwarders when each retry
  // is due (delayedRetries.ts says why not by TTL and dead-lettering). Named `.retry-<n>`: the
  // `.delay-<n>` queues of earlier installations had a TTL, and RabbitMQ refuses to declare a
  // queue again with other arguments.
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
      ...delayQueues(retryRoutes.images, quorum()),
      { name: names.webhooksQueue, arguments: quorum() },
      ...delayQueues(retryRoutes.webhooks, quorum()),
    ],
    bindings: [
      { exchange: names.eventsExchange, queue: names.projectionQueue, routingKey: '#' },
      { exchange: names.eventsExchange, queue: names.dispatchQueue, routingKey: 'JobSubmitted' },
      { exchange: names.eventsExchange, queue: names.dispatchQueue, routingKey: 'JobSubmissions' },
      { exchange: names.workExchange, queue: names.imageRequestsQueue, routingKey: ImageRequestedRoutingKey },
      { exchange: names.deadLetterExchange, queue: names.deadLetterQueue, routingKey: '' },
      ...delayQueueBindings(retryRoutes.images),
      { exchange: names.workExchange, queue: names.webhooksQueue, routingKey: WebhookRequestedRoutingKey },
      ...delayQueueBindings(retryRoutes.webhooks),
    ],
    retryRoutes,
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
      message: 'JobSubmitted, or several in a JobSubmissions message',
      exchange: `${names.eventsExchange} (JobSubmitted, JobSubmissions)`,
      queue: names.dispatchQueue,
      consumer: 'services/image-processor/src/dispatch/dispatcher.ts',
      emits: `ImageRequests (a few of the job's ImageRequested each) → ${names.workExchange}`,
    },
    {
      message: 'ImageRequests, or one ImageRequested (a retry)',
      exchange: `${names.workExchange} (${ImageRequestedRoutingKey})`,
      queue: names.imageRequestsQueue,
      consumer: 'services/image-processor/src/process/imageWork.ts → processImage.ts',
      emits: `ImageProcessed or ImageFailed, several images' to an ImageOutcomes message → ${names.eventsExchange}; a retry → ${names.retryExchange}`,
    },
    {
      message: 'ImageRequested (retry)',
      exchange: `${names.retryExchange} (${names.retryQueue(0).replace(/0$/, 'N')})`,
      queue: names.retryQueue(0).replace(/0$/, 'N'),
      consumer: 'shared/src/messaging/retryForwarder.ts (run by the image-processor)',
      emits: `the same message once due → ${names.workExchange}`,
    },
    {
      message: 'JobSubmitted, JobSubmissions (JobSubmitted), ImageOutcomes (ImageProcessed, ImageFailed), JobCancelled',
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
      queue: 'one exclusive queue per image-processor',
      consumer: 'services/image-processor/src/process/settledJobs.ts',
      emits: "nothing (a settled job's image requests dropped)",
    },
    {
      message: 'StoreMasterImported',
      exchange: names.storeMasterExchange,
      queue: 'one exclusive queue per image-processor and status API',
      consumer: 'shared/src/storeMaster/current.ts',
      emits: 'nothing (the new master, loaded whole, swapped in)',
    },
    {
      message: 'WebhookRequested (from the projection: a job with a callback URL settled)',
      exchange: `${names.workExchange} (${WebhookRequestedRoutingKey})`,
      queue: names.webhooksQueue,
      consumer: 'services/image-processor/src/webhooks/deliverWebhook.ts',
      emits: `a signed POST to the callback URL; a retry → ${names.retryExchange}; given up → ${names.deadLetterExchange}`,
    },
    {
      message: 'WebhookRequested (retry)',
      exchange: `${names.retryExchange} (${names.webhooksQueue}.retry-N)`,
      queue: `${names.webhooksQueue}.retry-N`,
      consumer: 'shared/src/messaging/retryForwarder.ts (run by the image-processor)',
      emits: `the same message once due → ${names.workExchange}`,
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
