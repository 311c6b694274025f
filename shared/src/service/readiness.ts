import type { Logger } from '../config/logger';

/**
 * Whether one backing service works now: true (up), false or a throw (down). The signal aborts
 * when the probe has taken too long; a probe that talks to a server passes it on.
 */
export type Probe = (signal: AbortSignal) => Promise<boolean> | boolean;

export interface Dependency {
  probe: Probe;
  /**
   * False for a dependency the service answers well without (the status API without the broker's
   * settled-jobs feed): reported in the checks, but it does not make the service unready.
   */
  required?: boolean;
}

export type DependencyState = 'up' | 'down';

export interface ReadinessReport {
  ready: boolean;
  /** Every dependency's state, by name. */
  checks: Record<string, DependencyState>;
  /** The required dependencies that are down. */
  down: string[];
}

export interface ReadinessOptions {
  /** How long one answer is reused: probes stay cheap however often a balancer asks. */
  cacheMs?: number;
  /** A probe that has not answered by then counts as down. */
  timeoutMs?: number;
}

/**
 * A service's readiness: it can do its work now because every required dependency (database,
 * broker, upstream) answers. Probes run together, at most once per `cacheMs` (concurrent askers
 * share one round), each bounded by `timeoutMs`; a dependency going down or coming back is logged
 * once, with the reason, so the log shows the outage without a line per probe.
 */
export class Readiness {
  private readonly cacheMs: number;
  private readonly timeoutMs: number;
  private last: { at: number; report: ReadinessReport } | undefined;
  private round: Promise<ReadinessReport> | undefined;
  private readonly states = new Map<string, DependencyState>();

  constructor(
    private readonly dependencies: Record<string, Dependency>,
    private readonly logger: Logger,
    options: ReadinessOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 1_000;
  }

  check(): Promise<ReadinessReport> {
    if (this.last && Date.now() - this.last.at < this.cacheMs) return Promise.resolve(this.last.report);
    this.round ??= this.probeAll().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async probeAll(): Promise<ReadinessReport> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const names = Object.keys(this.dependencies);
    const states = await Promise.all(names.map((name) => this.probeOne(name, this.dependencies[name]!, signal)));
    const checks = Object.fromEntries(names.map((name, index) => [name, states[index]!]));
    const down = names.filter((name, index) => states[index] === 'down' && this.dependencies[name]!.required !== false);
    const report = { ready: down.length === 0, checks, down };
    this.last = { at: Date.now(), report };
    return report;
  }

  private async probeOne(name: string, dependency: Dependency, signal: AbortSignal): Promise<DependencyState> {
    let reason: string | undefined;
    try {
      if (!(await withinSignal(dependency.probe, signal))) reason = 'not connected';
    } catch (error) {
      reason = signal.aborted ? `no answer within ${this.timeoutMs} ms` : String(error);
    }
    const state: DependencyState = reason === undefined ? 'up' : 'down';
    // A service starts with its dependencies connected: the first "up" is not news.
    const previous = this.states.get(name) ?? 'up';
    this.states.set(name, state);
    if (state !== previous) {
      const consequence = dependency.required === false ? 'still ready' : 'not ready';
      if (state === 'down') this.logger.warn({ dependency: name, reason }, `${name} is down: ${consequence}`);
      else this.logger.info({ dependency: name }, `${name} is back`);
    }
    return state;
  }
}

/** Runs a probe, giving up when the signal aborts even if the probe itself does not listen to it. */
function withinSignal(probe: Probe, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => probe(signal))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
