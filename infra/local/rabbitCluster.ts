/**
 * A three-node RabbitMQ cluster of the project's own, beside the machine's RabbitMQ: nodes
 * rp1@localhost…rp3@localhost, AMQP on 127.0.0.1:5681–5683, Erlang distribution on 25681–25683,
 * management (when asked for) on 15681–15683. Everything a node reads or writes lives under the
 * checkout's `.data/rabbit-cluster/` — data, logs, config, enabled plugins, pid file and a private
 * HOME whose Erlang cookie only these nodes know — so nothing here can reach or disturb the
 * machine's node, and the machine's node cannot join or be joined by these.
 * How one node is configured, started, stopped and asked is rabbitNode.ts.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDir, nodePid, nodeRunning, rabbitmqctl, startNode, waitForNode, type ClusterNode } from './rabbitNode';
import { portOpen, type Say } from './services';

export { clusterDir, killNode, nodeRunning, rabbitmqctl, startNode, stopNodes, type ClusterNode } from './rabbitNode';

const lockFile = join(clusterDir, 'lock');

export const clusterNodes: readonly ClusterNode[] = [1, 2, 3].map((index) => ({
  name: `rp${index}@localhost`,
  amqpPort: 5680 + index,
  distPort: 25680 + index,
  managementPort: 15680 + index,
  dir: join(clusterDir, `rp${index}`),
}));

const seed = clusterNodes[0]!;

/** The `AMQP_URL` a service is given for the cluster: every node, comma-separated. */
export function clusterAmqpUrl(nodes: readonly ClusterNode[] = clusterNodes): string {
  return nodes.map((node) => `amqp://guest:guest@127.0.0.1:${node.amqpPort}`).join(',');
}

export function nodeByName(name: string): ClusterNode {
  const node = clusterNodes.find((candidate) => candidate.name === name);
  if (!node) throw new Error(`${name} is not a node of the project's cluster`);
  return node;
}

export interface QueueReplicas {
  leader: ClusterNode | undefined;
  members: ClusterNode[];
}

/** Where each quorum queue lives: its leader and its members, asked of any node that answers. */
export async function queueReplicas(): Promise<Map<string, QueueReplicas>> {
  for (const node of clusterNodes) {
    if (!(await nodeRunning(node))) continue;
    const stdout = await rabbitmqctl(node, ['list_queues', 'name', 'leader', 'members', '--formatter', 'json', '-q']);
    const queues = new Map<string, QueueReplicas>();
    for (const { name, leader, members } of JSON.parse(stdout) as Array<{
      name: string;
      leader: string;
      members: string[] | string;
    }>) {
      queues.set(name, {
        leader: leader ? nodeByName(leader) : undefined,
        members: Array.isArray(members) ? members.map(nodeByName) : [],
      });
    }
    return queues;
  }
  throw new Error('no node of the cluster is running');
}

/** The node leading `queue` now (retried while a new leader is being elected). */
export async function queueLeader(queue: string, timeoutMs = 30_000): Promise<ClusterNode> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = (await queueReplicas().catch(() => undefined))?.get(queue)?.leader;
    if (leader && (await nodeRunning(leader))) return leader;
    if (Date.now() > deadline) throw new Error(`no leader for ${queue} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Makes freshly started nodes members of the seed's cluster (remembered by a marker file in each
 * node's directory). Only `join_cluster` touches the seed, so it runs one node at a time; the rest
 * is local to each node and runs side by side.
 */
async function joinSeed(nodes: readonly ClusterNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      await rabbitmqctl(node, ['stop_app']);
      await rabbitmqctl(node, ['reset']);
    }),
  );
  for (const node of nodes) await rabbitmqctl(node, ['join_cluster', seed.name]);
  await Promise.all(
    nodes.map(async (node) => {
      await rabbitmqctl(node, ['start_app']);
      await waitForNode(node);
      writeFileSync(join(node.dir, 'joined'), `${seed.name}\n`);
    }),
  );
}

/** Serializes cluster start-ups across processes (two test files, or a test and `npm run cluster`). */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(clusterDir, { recursive: true });
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(readFileSync(lockFile, 'utf8') || 0);
      const holderAlive = (() => {
        try {
          return holder > 0 && process.kill(holder, 0);
        } catch {
          return false;
        }
      })();
      if (!holderAlive) rmSync(lockFile, { force: true });
      else if (Date.now() > deadline) throw new Error(`the cluster lock ${lockFile} is held by process ${holder}`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/**
 * Starts the nodes that are not running and joins any that never joined; reuses the ones that run.
 * Returns the nodes it started, so the caller stops only those.
 */
export async function ensureRabbitCluster(say: Say, options: { management?: boolean } = {}): Promise<ClusterNode[]> {
  const management = options.management ?? false;
  return withLock(async () => {
    const started: ClusterNode[] = [];
    const begun = Date.now();
    // A seed without data is a new cluster: nodes that joined an earlier one must join again.
    if (!existsSync(join(seed.dir, 'mnesia')) && !(await nodeRunning(seed))) {
      for (const node of clusterNodes) rmSync(join(node.dir, 'joined'), { force: true });
    }
    for (const node of clusterNodes) {
      // Its ports answer, but no process of this checkout's data holds them: another checkout's
      // cluster, with its own Erlang cookie. Using it would fail on every CLI call; say so instead.
      if ((await nodeRunning(node)) && nodePid(node) === undefined) {
        throw new Error(
          `RabbitMQ node ${node.name} answers on 127.0.0.1:${node.amqpPort}, but not from this checkout's ${clusterDir}: ` +
            'another checkout runs the cluster on these ports; stop it there (npm run cluster -- stop) and try again',
        );
      }
    }
    await Promise.all(
      clusterNodes.map(async (node) => {
        if (await nodeRunning(node)) {
          if (management && !(await portOpen(node.managementPort))) {
            await rabbitmqctl(node, ['plugins', 'enable', 'rabbitmq_management'], 120_000);
          }
          return;
        }
        say(`starting RabbitMQ node ${node.name} (AMQP 127.0.0.1:${node.amqpPort})`);
        await startNode(node, management);
        started.push(node);
      }),
    );
    const joiners = clusterNodes.slice(1).filter((node) => !existsSync(join(node.dir, 'joined')));
    if (joiners.length > 0) {
      say(`joining ${joiners.map((node) => node.name).join(', ')} to ${seed.name}`);
      await joinSeed(joiners);
    }
    if (started.length > 0) {
      say(`RabbitMQ cluster up in ${((Date.now() - begun) / 1000).toFixed(1)} s (${started.length} node(s) started)`);
    }
    return clusterNodes.filter((node) => started.includes(node));
  });
}
