/**
 * What the chaos run measures with, apart from the run itself: the probe of the machine's
 * RabbitMQ, a service's progress over time, counters added up over a service's restarts, and the
 * deadlines and health reads it uses on the stack.
 */
import amqp from 'amqplib';
import { LOCAL_AMQP_URL } from '../local/services';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Probes the machine's RabbitMQ (an AMQP handshake) every second until stopped. The run never
 * touches that node; a failed probe while it was up at the start means the run disturbed it.
 */
export function watchMachineRabbitMq(say: (message: string) => void): {
  stop: () => Promise<{ upAtStart: boolean; probes: number; failed: number }>;
} {
  let probes = 0;
  let failed = 0;
  let upAtStart: boolean | undefined;
  let stopped = false;
  const probe = async (): Promise<boolean> => {
    try {
      const connection = await amqp.connect(LOCAL_AMQP_URL, { timeout: 2_000 });
      await connection.close();
      return true;
    } catch {
      return false;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const up = await probe();
      upAtStart ??= up;
      if (upAtStart) {
        probes++;
        if (!up) {
          failed++;
          say('the machine’s RabbitMQ on 127.0.0.1:5672 did not answer a probe');
        }
      }
      await sleep(Math.max(0, 1_000 - (Date.now() - started)));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { upAtStart: upAtStart ?? false, probes, failed };
    },
  };
}

/**
 * Follows one measure of a service's progress (images processed, events folded, submits and status
 * answers served) as the times it went up, so the longest stall around a fault can be read off.
 */
export class Progress {
  readonly increments: number[] = [];
  private last: number | undefined;

  /** A restarted service counts from zero again: a drop is not progress, the climb after it is. */
  record(value: number, at = Date.now()): void {
    if (this.last !== undefined && value > this.last) this.increments.push(at);
    this.last = value;
  }

  /**
   * The longest time without progress from `from` (a fault) up to `until`, or up to the service's
   * last progress of the run if that came first (past it the service had no work left, which is
   * no stall).
   */
  longestStall(from: number, until: number): number {
    const end = Math.min(until, this.increments.at(-1) ?? from);
    if (end <= from) return 0;
    const points = [from, ...this.increments.filter((at) => at > from && at <= end), end];
    return Math.max(...points.slice(1).map((at, index) => at - points[index]!));
  }
}

/** A counter a service reports in /health, added up over its restarts (each process counts from 0). */
export class LifetimeTotal {
  private finished = 0;
  private current = 0;
  private process: number | undefined;

  record(value: number, pid: number | undefined): void {
    if (pid !== this.process) {
      this.finished += this.current;
      this.current = 0;
      this.process = pid;
    }
    this.current = Math.max(this.current, value);
  }

  get total(): number {
    return this.finished + this.current;
  }
}

/** `work`, or an error saying what did not finish in `ms`. */
export async function within<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function health(port: number): Promise<Record<string, unknown> | undefined> {
  const answer = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) }).catch(
    () => undefined,
  );
  if (!answer) return undefined;
  return (await answer.json().catch(() => undefined)) as Record<string, unknown> | undefined;
}
