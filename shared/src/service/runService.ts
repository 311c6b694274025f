import type { Logger } from '../config/logger';
import { stopTracing } from './tracing';

/** What a started service hands back: its logger, and the steps that stop it cleanly. */
export interface StartedService {
  logger: Logger;
  /**
   * Run in order on SIGTERM or SIGINT: stop taking work, finish or hand back what is in flight,
   * close connections.
   */
  stopSteps: Array<() => unknown>;
}

/** Longest a clean stop may take before the process exits anyway (the broker redelivers what was unacked). */
const STOP_TIMEOUT_MS = 30_000;

/**
 * The end of every composition root: starts the service, exits 1 with the reason if it cannot
 * start, and on SIGTERM or SIGINT runs its stop steps and exits 0.
 */
export function runService(name: string, start: () => Promise<StartedService>): void {
  start().then(
    ({ logger, stopSteps }) => {
      const stop = async (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'shutting down');
        setTimeout(() => process.exit(1), STOP_TIMEOUT_MS).unref();
        try {
          for (const step of stopSteps) await step();
          await stopTracing();
          process.exit(0);
        } catch (error) {
          logger.error({ err: error instanceof Error ? error.stack : String(error) }, 'stopping failed');
          process.exit(1);
        }
      };
      process.once('SIGTERM', (signal) => void stop(signal));
      process.once('SIGINT', (signal) => void stop(signal));
    },
    (error: unknown) => {
      console.error(`${name} could not start: ${error instanceof Error ? error.stack : String(error)}`);
      process.exit(1);
    },
  );
}
