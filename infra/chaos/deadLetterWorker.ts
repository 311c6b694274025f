/**
 * `npm run chaos:dead-letter-worker`: shows, on the project's cluster, the RabbitMQ 3.10 failure
 * that made the delay queues give way to a forwarder of our own (docs/CHAOS.md). RabbitMQ alone,
 * no service of ours: a work queue and four delay queues with a TTL and at-least-once
 * dead-lettering into it, all led by rp1; messages stream through the delay queues into the work
 * queue; rp1 is killed with SIGKILL and left down. Every message the broker confirmed should reach
 * the work queue. For each delay queue that strands messages, it prints the state of the queue's
 * dead-letter worker: its client of the work queue (servers, leader, status) and how its pending
 * messages stand. Each trial uses fresh queues; rp1 is started again between trials.
 *
 *   npm run chaos:dead-letter-worker -- [--trials 3]
 */
import { parseArgs } from 'node:util';
import amqp, { type ConfirmChannel } from 'amqplib';
import {
  clusterNodes,
  ensureRabbitCluster,
  killNode,
  rabbitmqctl,
  startNode,
  stopNodes,
  type ClusterNode,
} from '../local/rabbitCluster';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '3' } } });
const DELAY_QUEUES = 4;
const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const [rp1, rp2, rp3] = [0, 1, 2].map((index) => clusterNodes[index]!) as [ClusterNode, ClusterNode, ClusterNode];
const urlOf = (node: ClusterNode) => `amqp://guest:guest@127.0.0.1:${node.amqpPort}`;

/** The dead-letter workers of `node`: source queue, pending messages, and their client of each target. */
const WORKERS = `
  lists:map(fun({_, P, _, _}) ->
    {status, _, _, [_, _, _, _, Misc]} = sys:get_status(P, 5000),
    [S] = [St || {data, [{"State", St}]} <- Misc],
    #{queue_ref := {resource, _, queue, Q}, pendings := Pend, queue_type_state := {rabbit_queue_type, Ctxs, _}} = S,
    Sent = lists:usort([{sent_times_at_least_2, C >= 2, refused, R =/= []} || #{publish_count := C, rejected := R} <- maps:values(Pend)]),
    Clients = [{T, {servers, [N || {_, N} <- Servers]}, {leader, L}, {status, St2}}
               || {{resource, _, queue, T}, {ctx, _, _, {state, {cfg, _, Servers, _, _, _, _, _}, L, St2, _, _, _, _, _, _, _}}} <- maps:to_list(Ctxs)],
    {Q, {pending, maps:size(Pend)}, Sent, Clients}
  end, supervisor:which_children(rabbit_fifo_dlx_sup)).`;

async function declare(prefix: string): Promise<{ work: string; delays: string[] }> {
  const work = `${prefix}.work`;
  const delays = Array.from({ length: DELAY_QUEUES }, (_, level) => `${prefix}.delay-${level}`);
  // Declared through rp1, so rp1 leads every queue (quorum queues' leader is the declaring node).
  const connection = await amqp.connect(urlOf(rp1));
  const channel = await connection.createChannel();
  const quorum = { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3 };
  await channel.assertExchange(`${prefix}.x`, 'direct', { durable: true });
  await channel.assertQueue(work, { durable: true, arguments: quorum });
  await channel.bindQueue(work, `${prefix}.x`, 'go');
  for (const queue of delays) {
    await channel.assertQueue(queue, {
      durable: true,
      arguments: {
        ...quorum,
        'x-message-ttl': 300,
        'x-dead-letter-exchange': `${prefix}.x`,
        'x-dead-letter-routing-key': 'go',
        'x-dead-letter-strategy': 'at-least-once',
        // Without it RabbitMQ falls back to at-most-once dead-lettering (and drops what it cannot send).
        'x-overflow': 'reject-publish',
      },
    });
  }
  await connection.close();
  return { work, delays };
}

/** Publishes to the delay queues through rp2 until stopped, each confirmed (sent again on a new channel if not). */
function publishing(delays: string[]): { confirmed: Set<string>; stop: () => Promise<void> } {
  const confirmed = new Set<string>();
  let running = true;
  const loop = (async () => {
    const connection = await amqp.connect(urlOf(rp2));
    let channel: ConfirmChannel = await connection.createConfirmChannel();
    const send = async (queue: string, id: string) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const used = channel;
        const ok = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 3_000);
          used.sendToQueue(queue, Buffer.from(id), { messageId: id, persistent: true }, (error) => {
            clearTimeout(timer);
            resolve(!error);
          });
        });
        if (ok) return void confirmed.add(id);
        // A refused channel stays refused on RabbitMQ 3.10 (the same trap as below): a new one.
        if (used === channel) channel = await connection.createConfirmChannel();
        await sleep(300);
      }
    };
    for (let seq = 0; running; seq++) {
      await Promise.all(delays.map((queue) => send(queue, `${queue}:${seq}`)));
      await sleep(20);
    }
    await connection.close().catch(() => undefined);
  })();
  return {
    confirmed,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function trial(n: number): Promise<number> {
  const prefix = `rp-dlx-trial-${Date.now()}`;
  const { work, delays } = await declare(prefix);
  const seen = new Set<string>();
  const consumer = await amqp.connect(urlOf(rp3));
  const consuming = await consumer.createChannel();
  await consuming.prefetch(500);
  await consuming.consume(work, (message) => {
    if (!message) return;
    seen.add(String(message.properties.messageId));
    consuming.ack(message);
  });
  const publisher = publishing(delays);
  await sleep(3_000);
  say(`trial ${n}: kill -9 ${rp1.name}, leader of the work queue and the ${DELAY_QUEUES} delay queues; left down`);
  await killNode(rp1);
  await sleep(6_000);
  await publisher.stop();
  const deadline = Date.now() + 25_000;
  const missing = () => [...publisher.confirmed].filter((id) => !seen.has(id));
  while (Date.now() < deadline && missing().length > 0) await sleep(500);
  const stranded = delays.filter((queue) => missing().some((id) => id.startsWith(`${queue}:`)));
  say(
    `trial ${n}: ${publisher.confirmed.size} confirmed, ${seen.size} reached the work queue; ` +
      `${missing().length} stranded, in ${stranded.length} of ${DELAY_QUEUES} delay queues`,
  );
  if (stranded.length > 0) {
    for (const node of [rp2, rp3]) console.log(`${node.name}:\n${await rabbitmqctl(node, ['eval', WORKERS])}`);
  }
  await consumer.close().catch(() => undefined);
  await startNode(rp1);
  const cleaner = await amqp.connect(urlOf(rp2));
  const channel = await cleaner.createChannel();
  for (const queue of [work, ...delays]) await channel.deleteQueue(queue);
  await channel.deleteExchange(`${prefix}.x`);
  await cleaner.close();
  return stranded.length;
}

async function main(): Promise<void> {
  const started = await ensureRabbitCluster(say);
  const trials = Number(values.trials);
  let strandedQueues = 0;
  let strandedTrials = 0;
  for (let n = 1; n <= trials; n++) {
    const stranded = await trial(n);
    strandedQueues += stranded;
    if (stranded > 0) strandedTrials++;
  }
  say(
    `${strandedTrials} of ${trials} trials stranded messages ` +
      `(${strandedQueues} of ${trials * DELAY_QUEUES} delay queues)`,
  );
  if (started.length > 0) await stopNodes(started);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
