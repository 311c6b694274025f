/**
 * `npm run observe`: a real Prometheus (Debian's package, installed when missing) scraping the
 * stack of this checkout — every service and RabbitMQ's Prometheus plugin — with the project's
 * config, its data under `.data/prometheus`, on 127.0.0.1:9090 or the next free port. One that this
 * command started earlier and that still runs is reused, not started twice; Ctrl-C stops only
 * the Prometheus this run started.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@retail-pulse/shared/config';
import {
  checkConfig,
  ensurePrometheusInstalled,
  isReady,
  prometheusConfig,
  SHIPPED_CONFIG,
  startPrometheus,
} from './prometheus';
import { ensureRabbitMqPrometheus, portOpen, projectRoot } from './services';

const configSchema = z.object({
  PROMETHEUS_PORT: env.int(9090, 1, 65_535),
  RP_DATA_DIR: env.string('.data'),
  /** With keys on, the gateway's /metrics wants one: the first is handed to Prometheus in a file. */
  API_KEYS: z.string().optional(),
});

const say = (message: string) => console.log(`[observe] ${message}`);

/** What this command leaves in the data directory about the Prometheus it started. */
const stateSchema = z.object({ pid: z.number().int().positive(), port: z.number().int() });

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The ports of the stack `npm start` runs on this data directory, from its lock; undefined when none runs. */
function stackPorts(dataDir: string): Record<string, number> | undefined {
  const lock = join(dataDir, 'stack.lock');
  if (!existsSync(lock)) return undefined;
  const parsed = z
    .object({ pid: z.number(), ports: z.record(z.string(), z.number()) })
    .safeParse(JSON.parse(readFileSync(lock, 'utf8')));
  return parsed.success && running(parsed.data.pid) ? parsed.data.ports : undefined;
}

async function freePortFrom(first: number): Promise<number> {
  for (let port = first; port < first + 20; port++) if (!(await portOpen(port))) return port;
  throw new Error(`ports ${first}–${first + 19} are all taken; set PROMETHEUS_PORT`);
}

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  const dataDir = resolve(projectRoot, config.RP_DATA_DIR, 'prometheus');
  mkdirSync(dataDir, { recursive: true });
  const statePath = join(dataDir, 'observe.json');
  if (existsSync(statePath)) {
    const state = stateSchema.safeParse(JSON.parse(readFileSync(statePath, 'utf8')));
    if (state.success && running(state.data.pid) && (await isReady(`http://127.0.0.1:${state.data.port}`))) {
      say(
        `Prometheus already runs for this checkout: http://127.0.0.1:${state.data.port} (pid ${state.data.pid}); reusing it`,
      );
      return;
    }
    rmSync(statePath, { force: true });
  }

  await ensurePrometheusInstalled();
  await ensureRabbitMqPrometheus(say);
  const ports = stackPorts(resolve(projectRoot, config.RP_DATA_DIR));
  say(ports ? `scraping the running stack: ${JSON.stringify(ports)}` : `no stack runs: scraping the default ports`);
  const key = (config.API_KEYS ?? '').split(',').find((candidate) => candidate.trim() !== '');
  let gatewayKeyFile: string | undefined;
  if (key) {
    gatewayKeyFile = join(dataDir, 'gateway.key');
    writeFileSync(gatewayKeyFile, key.trim(), { mode: 0o600 });
  }
  const configPath = join(dataDir, 'prometheus.yml');
  writeFileSync(
    configPath,
    `# Made by npm run observe from ${SHIPPED_CONFIG}\n${prometheusConfig({ ports, gatewayKeyFile })}`,
  );
  await checkConfig(configPath);

  const port = await freePortFrom(config.PROMETHEUS_PORT);
  if (port !== config.PROMETHEUS_PORT) say(`port ${config.PROMETHEUS_PORT} is taken: using ${port}`);
  const prometheus = await startPrometheus(configPath, port, dataDir);
  writeFileSync(statePath, JSON.stringify({ pid: prometheus.child.pid, port }));
  say(`Prometheus ready: ${prometheus.url} (targets: ${prometheus.url}/targets; data in ${dataDir}); Ctrl-C stops it`);
  say(`try: ${prometheus.url}/graph?g0.expr=${encodeURIComponent('sum by (job) (rate(rp_http_requests_total[1m]))')}`);

  const stop = async () => {
    await prometheus.stop();
    rmSync(statePath, { force: true });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  prometheus.child.once('exit', (code) => {
    rmSync(statePath, { force: true });
    say(`Prometheus exited (${code ?? 'signal'}); see ${join(dataDir, 'prometheus.log')}`);
    process.exit(code ?? 1);
  });
}

main().catch((error: unknown) => {
  console.error(`observe: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
