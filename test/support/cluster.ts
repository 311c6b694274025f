/**
 * The project's three-node RabbitMQ cluster for the tests that need one (node loss). The first such
 * test of a run starts whatever nodes are not running; the global teardown stops the nodes this
 * run started (a cluster that was already running is left as it was). Tests that kill nodes take
 * the cluster one file at a time, so one file's kill never lands in another's measurement.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  clusterAmqpUrl,
  clusterDir,
  clusterNodes,
  ensureRabbitCluster,
  nodeByName,
  nodeRunning,
  startNode,
  stopNodes,
  type ClusterNode,
} from '../../infra/local/rabbitCluster';

const leaseFile = join(clusterDir, 'test-lease');
/** Which nodes a test run started: the run's id, then one node name a line. */
const startedFile = join(clusterDir, 'started-by-tests');

export interface ClusterLease {
  amqpUrl: string;
  /** Starts the nodes this file killed and gives the cluster to the next file. */
  release: () => Promise<void>;
}

function alive(pid: number): boolean {
  try {
    return pid > 0 && process.kill(pid, 0);
  } catch {
    return false;
  }
}

async function takeLease(): Promise<void> {
  mkdirSync(dirname(leaseFile), { recursive: true });
  for (;;) {
    try {
      writeFileSync(leaseFile, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(leaseFile, 'utf8') || 0);
      if (!alive(holder)) rmSync(leaseFile, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export async function useRabbitCluster(): Promise<ClusterLease> {
  const runId = process.env.RP_TEST_RUN_ID;
  if (!runId) throw new Error('RP_TEST_RUN_ID is set by the global test setup');
  await takeLease();
  const started = await ensureRabbitCluster((message) => console.log(`[test cluster] ${message}`));
  if (started.length > 0) {
    const earlier = readStarted(runId);
    writeFileSync(startedFile, [runId, ...new Set([...earlier, ...started.map((node) => node.name)])].join('\n'));
  }
  return {
    amqpUrl: clusterAmqpUrl(),
    release: async () => {
      const down: ClusterNode[] = [];
      for (const node of clusterNodes) if (!(await nodeRunning(node))) down.push(node);
      await Promise.all(down.map((node) => startNode(node)));
      rmSync(leaseFile, { force: true });
    },
  };
}

function readStarted(runId: string): string[] {
  try {
    const [owner, ...names] = readFileSync(startedFile, 'utf8').split('\n');
    return owner === runId ? names.filter(Boolean) : [];
  } catch {
    return [];
  }
}

/** Called by the global teardown: stops the nodes that this test run started. */
export async function stopClusterStartedBy(runId: string): Promise<void> {
  const names = readStarted(runId);
  if (names.length === 0) return;
  console.log(`[test teardown] stopping the cluster nodes this run started: ${names.join(', ')}`);
  await stopNodes(names.map(nodeByName));
  rmSync(startedFile, { force: true });
}
