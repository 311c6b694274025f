/**
 * A three-node RabbitMQ cluster of the project's own, beside the machine's RabbitMQ: nodes
 * rp1@localhost…rp3@localhost, AMQP on 127.0.0.1:5681–5683, Erlang distribution on 25681–25683,
 * management (when asked for) on 15681–15683. Everything a node reads or writes lives under the
 * checkout's `.data/rabbit-cluster/` — data, logs, config, enabled plugins, pid file and a private
 * HOME whose Erlang cookie only these nodes know — so nothing here can reach or disturb the
 * machine's node, and the machine's node cannot join or be joined by these.
 *
 * The nodes run from /usr/lib/rabbitmq/bin directly: the /usr/sbin wrappers switch to the
 * rabbitmq user, whose HOME holds the machine's cookie.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portOpen, projectRoot, type Say } from './services';

const run = promisify(execFile);
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
const NODE_START_TIMEOUT_MS = 90_000;

export const clusterDir = join(projectRoot, '.data', 'rabbit-cluster');
const homeDir = join(clusterDir, 'home');
const lockFile = join(clusterDir, 'lock');

export interface ClusterNode {
  /** The Erlang node name, e.g. `rp1@localhost`. */
  name: string;
  amqpPort: number;
  distPort: number;
  managementPort: number;
  /** Where its Prometheus plugin answers; a node without one runs no Prometheus plugin. */
  prometheusPort?: number;
  /** This node's own directory: config, enabled plugins, pid file, data (`mnesia/`) and `log/`. */
  dir: string;
}

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

/** The environment every RabbitMQ script gets for `node`: nothing falls back to /etc/rabbitmq or the system HOME. */
function nodeEnvironment(node: ClusterNode): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: homeDir,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.amqpPort),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_MNESIA_BASE: join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(node.dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(node.dir, 'rabbitmq.conf'),
    // The cluster's Erlang-level settings, shared with docker-compose.cluster.yml.
    RABBITMQ_ADVANCED_CONFIG_FILE: join(projectRoot, 'infra', 'rabbitmq', 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(node.dir, 'rabbitmq.pid'),
    // The one in /etc/rabbitmq names the machine's node; an empty file keeps its settings out.
    RABBITMQ_CONF_ENV_FILE: join(clusterDir, 'rabbitmq-env.conf'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
}

/** Runs rabbitmqctl (or another CLI tool) against `node`, with the cluster's cookie. */
export async function rabbitmqctl(node: ClusterNode, args: string[], timeoutMs = 60_000): Promise<string> {
  const tool = args[0] === 'plugins' ? 'rabbitmq-plugins' : 'rabbitmqctl';
  const toolArgs = args[0] === 'plugins' ? args.slice(1) : args;
  const { stdout } = await run(join(RABBITMQ_BIN, tool), ['-n', node.name, ...toolArgs], {
    env: nodeEnvironment(node),
    timeout: timeoutMs,
  });
  return stdout;
}

/** `management` undefined keeps the node's plugins as they were (a restarted node keeps its UI). */
function writeNodeFiles(node: ClusterNode, management: boolean | undefined): void {
  mkdirSync(join(node.dir, 'log'), { recursive: true });
  writeFileSync(
    join(node.dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.1 = 127.0.0.1:${node.amqpPort}`,
      `management.tcp.ip = 127.0.0.1`,
      `management.tcp.port = ${node.managementPort}`,
      ...(node.prometheusPort ? ['prometheus.tcp.ip = 127.0.0.1', `prometheus.tcp.port = ${node.prometheusPort}`] : []),
      // Three nodes: the side that loses its majority stops serving instead of diverging.
      'cluster_partition_handling = pause_minority',
      '',
    ].join('\n'),
  );
  const plugins = join(node.dir, 'enabled_plugins');
  if (management !== undefined || !existsSync(plugins)) {
    const enabled = [
      ...(management ? ['rabbitmq_management'] : []),
      ...(node.prometheusPort ? ['rabbitmq_prometheus'] : []),
    ];
    writeFileSync(plugins, `[${enabled.join(',')}].\n`);
  }
}

function writeClusterFiles(): void {
  mkdirSync(homeDir, { recursive: true });
  writeFileSync(join(clusterDir, 'rabbitmq-env.conf'), '');
  const cookie = join(homeDir, '.erlang.cookie');
  if (!existsSync(cookie)) writeFileSync(cookie, randomBytes(24).toString('hex'), { mode: 0o400 });
}

function nodePid(node: ClusterNode): number | undefined {
  try {
    const pid = Number(readFileSync(join(node.dir, 'rabbitmq.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function nodeRunning(node: ClusterNode): Promise<boolean> {
  return portOpen(node.amqpPort);
}

async function waitForNode(node: ClusterNode, timeoutMs = NODE_START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let sawProcess = false;
  while (Date.now() < deadline) {
    if (await portOpen(node.amqpPort, '127.0.0.1', 250)) return;
    // The pid file appears early in the boot; once seen, a vanished process is a failed boot.
    const alive = nodePid(node) !== undefined;
    if (sawProcess && !alive) break;
    sawProcess ||= alive;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${node.name} did not start; see ${join(node.dir, 'log')}`);
}

/** Starts one node in the background (`-detached`) and waits until it takes AMQP connections. */
export async function startNode(node: ClusterNode, management?: boolean): Promise<void> {
  writeClusterFiles();
  writeNodeFiles(node, management);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(RABBITMQ_BIN, 'rabbitmq-server'), ['-detached'], {
      env: nodeEnvironment(node),
      stdio: 'ignore',
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rabbitmq-server exited with ${code}`))));
  });
  await waitForNode(node);
}

/** `kill -9` of one node; returns once its AMQP port is closed. */
export async function killNode(node: ClusterNode): Promise<void> {
  const pid = nodePid(node);
  if (pid === undefined) throw new Error(`${node.name} is not running (no live pid in its pid file)`);
  process.kill(pid, 'SIGKILL');
  while (nodePid(node) !== undefined || (await portOpen(node.amqpPort, '127.0.0.1', 250))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A clean stop of the given nodes (all at once), each removed from epmd and its data kept. */
export async function stopNodes(nodes: readonly ClusterNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      if (nodePid(node) === undefined) return;
      await rabbitmqctl(node, ['stop'], 120_000).catch(async () => {
        const pid = nodePid(node);
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      });
    }),
  );
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
