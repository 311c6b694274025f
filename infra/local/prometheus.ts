/**
 * A real Prometheus from Debian's package, for `npm run observe` and the tests: the project's
 * config (infra/prometheus/prometheus.yml) made to fit a stack's ports, and a Prometheus process
 * started on it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { projectRoot } from './services';

const run = promisify(execFile);

export const SHIPPED_CONFIG = join(projectRoot, 'infra/prometheus/prometheus.yml');

interface ScrapeConfig {
  job_name: string;
  static_configs: Array<{ targets: string[] }>;
  authorization?: { type: string; credentials_file: string };
  [key: string]: unknown;
}
interface PrometheusConfig {
  global: Record<string, unknown>;
  scrape_configs: ScrapeConfig[];
}

export interface ConfigOptions {
  /** Each service's port, by service name as `npm start` names them (`image-processor-2` is an image-processor). */
  ports?: Record<string, number>;
  /** Where RabbitMQ's Prometheus plugin answers (default: the shipped 127.0.0.1:15692). */
  rabbitmq?: string;
  /** A file holding one of the gateway's API keys, sent as a bearer token (API keys on). */
  gatewayKeyFile?: string;
  /** Overrides the scrape interval (tests scrape every second). */
  scrapeInterval?: string;
}

/** The job a service is scraped under: its name, without the number `npm start` gives a second processor. */
export const jobOf = (service: string) => service.replace(/-\d+$/, '');

/** The shipped config, its targets moved to a stack's ports (and the rest as shipped). */
export function prometheusConfig(options: ConfigOptions = {}, shipped = readFileSync(SHIPPED_CONFIG, 'utf8')): string {
  const config = parse(shipped) as PrometheusConfig;
  if (options.scrapeInterval) {
    config.global.scrape_interval = options.scrapeInterval;
    config.global.scrape_timeout = options.scrapeInterval;
    config.global.evaluation_interval = options.scrapeInterval;
  }
  for (const job of config.scrape_configs) {
    if (job.job_name.startsWith('rabbitmq')) {
      if (options.rabbitmq) job.static_configs = [{ targets: [options.rabbitmq] }];
      continue;
    }
    if (options.ports) {
      const targets = Object.entries(options.ports)
        .filter(([service]) => jobOf(service) === job.job_name)
        .map(([, port]) => `127.0.0.1:${port}`);
      job.static_configs = [{ targets }];
    }
    if (job.job_name === 'gateway' && options.gatewayKeyFile) {
      job.authorization = { type: 'Bearer', credentials_file: options.gatewayKeyFile };
    }
  }
  config.scrape_configs = config.scrape_configs.filter((job) => job.static_configs[0]!.targets.length > 0);
  return stringify(config);
}

/** promtool's verdict on a config file: resolves with its output, rejects with it when the config is wrong. */
export async function checkConfig(path: string): Promise<string> {
  const { stdout, stderr } = await run('promtool', ['check', 'config', path], { timeout: 60_000 });
  return `${stdout}${stderr}`;
}

/** Installs Debian's prometheus package (prometheus and promtool) when either is missing. */
export async function ensurePrometheusInstalled(): Promise<void> {
  await run('bash', [join(projectRoot, 'infra/scripts/ensure-prometheus.sh')], { timeout: 600_000 });
}

export interface StartedPrometheus {
  child: ChildProcess;
  url: string;
  stop: () => Promise<void>;
}

/**
 * Starts Prometheus on 127.0.0.1:`port` with its data under `dataDir` and its log in
 * `dataDir/prometheus.log`, and resolves once it answers ready.
 */
export async function startPrometheus(configPath: string, port: number, dataDir: string): Promise<StartedPrometheus> {
  mkdirSync(join(dataDir, 'data'), { recursive: true });
  const log = openSync(join(dataDir, 'prometheus.log'), 'a');
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dataDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with ${child.exitCode}; see ${join(dataDir, 'prometheus.log')}`);
    }
    if (await isReady(url)) return { child, url, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready at ${url} after 60 s; see ${join(dataDir, 'prometheus.log')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether a Prometheus answers ready at `url`. */
export async function isReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

export interface TargetHealth {
  job: string;
  instance: string;
  health: string;
  lastError: string;
}

/** Every active target as Prometheus's HTTP API reports it. */
export async function activeTargets(url: string): Promise<TargetHealth[]> {
  const response = await fetch(`${url}/api/v1/targets?state=active`);
  const body = (await response.json()) as {
    data: {
      activeTargets: Array<{ labels: { job: string; instance: string }; health: string; lastError: string }>;
    };
  };
  return body.data.activeTargets.map(({ labels, health, lastError }) => ({
    job: labels.job,
    instance: labels.instance,
    health,
    lastError,
  }));
}
