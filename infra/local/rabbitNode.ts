/**
 * One RabbitMQ node of the project's own, beside the machine's: its config, enabled plugins, pid
 * file, data and logs under its own directory, a private HOME whose Erlang cookie only the
 * project's nodes know, and the CLI run against it. The three-node cluster (rabbitCluster.ts) is
 * made of these, and so is the test run's own node when the machine's does not answer.
 *
 * The nodes run from /usr/lib/rabbitmq/bin directly: the /usr/sbin wrappers switch to the
 * rabbitmq user, whose HOME holds the machine's cookie.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { portOpen, projectRoot } from './services';

const run = promisify(execFile);
const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin';
const NODE_START_TIMEOUT_MS = 90_000;

/** Where the project's nodes live: one directory each, and the HOME with their cookie. */
export const clusterDir = join(projectRoot, '.data', 'rabbit-cluster');
const homeDir = join(clusterDir, 'home');

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

function writeSharedFiles(): void {
  mkdirSync(homeDir, { recursive: true });
  writeFileSync(join(clusterDir, 'rabbitmq-env.conf'), '');
  const cookie = join(homeDir, '.erlang.cookie');
  if (!existsSync(cookie)) writeFileSync(cookie, randomBytes(24).toString('hex'), { mode: 0o400 });
}

export function nodePid(node: ClusterNode): number | undefined {
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

export async function waitForNode(node: ClusterNode, timeoutMs = NODE_START_TIMEOUT_MS): Promise<void> {
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
  writeSharedFiles();
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
