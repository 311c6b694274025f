/**
 * `npm run cluster`: starts (or reuses) the project's own three-node RabbitMQ cluster, with its
 * management UI, then runs the whole stack against it exactly as `npm start` does (the same
 * supervisor, the same flags), every service given the list of nodes. Ctrl-C stops the services,
 * then the nodes this run started; a cluster it found running is left running.
 *
 *   npm run cluster -- [--processors N]   # the stack on the cluster
 *   npm run cluster -- stop               # stop the cluster's nodes (its data is kept)
 */
import { spawn } from 'node:child_process';
import { projectRoot } from './services';
import { clusterAmqpUrl, clusterNodes, ensureRabbitCluster, stopNodes } from './rabbitCluster';

function say(message: string): void {
  const tty = process.stdout.isTTY;
  console.log(
    `${new Date().toISOString().slice(11, 23)} ${tty ? '\x1b[1m' : ''}[cluster]${tty ? '\x1b[0m' : ''} ${message}`,
  );
}

async function stopCluster(): Promise<void> {
  const stopping = Date.now();
  say('stopping the RabbitMQ cluster');
  await stopNodes(clusterNodes);
  say(`stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
}

async function runStack(args: string[]): Promise<number> {
  const started = await ensureRabbitCluster(say, { management: true });
  if (started.length === 0) say('reusing the running RabbitMQ cluster; it stays up after this run');
  const supervisor = spawn(process.execPath, ['--import', 'tsx', 'infra/local/supervisor.ts', ...args], {
    cwd: projectRoot,
    env: {
      ...process.env,
      AMQP_URL: clusterAmqpUrl(),
      RABBITMQ_UI_URL: `http://localhost:${clusterNodes[0]!.managementPort}`,
    },
    stdio: 'inherit',
  });
  // Ctrl-C reaches the supervisor from the terminal too; a SIGTERM sent to this process alone is passed on.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => supervisor.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) =>
    supervisor.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
  );
  if (started.length > 0) {
    const stopping = Date.now();
    say(`stopping the RabbitMQ node(s) this run started: ${started.map((node) => node.name).join(', ')}`);
    await stopNodes(started);
    say(`stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
  }
  return code;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'stop') {
    await stopCluster();
    return;
  }
  process.exitCode = await runStack(args);
}

main().catch((error: unknown) => {
  say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
