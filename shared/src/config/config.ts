import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { z } from 'zod';
import { amqpNodeUrls } from '../messaging/nodes';
import { createLogger, type Logger } from './logger';

/** Thrown when an environment variable does not parse; the message names the variable. */
export class ConfigError extends Error {}

/**
 * Parses environment variables once, at start-up, with a zod schema.
 * Unknown variables are ignored; an invalid one fails with its name and the reason.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

const booleanWords: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false };

/** Environment-variable building blocks: strings from the environment, typed with defaults. */
export const env = {
  string: (fallback: string) => z.string().min(1).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  number: (fallback: number, min = 0) => z.coerce.number().min(min).default(fallback),
  boolean: (fallback: boolean) =>
    z
      .string()
      .default(String(fallback))
      .transform((value, ctx) => {
        const parsed = booleanWords[value.toLowerCase()];
        if (parsed === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected true or false' });
          return z.NEVER;
        }
        return parsed;
      }),
};

/** Settings every service shares: where the broker and the database are, and the naming prefix. */
export const commonConfigShape = {
  /** One broker node, or every node of a cluster comma-separated (services move to the next on loss). */
  AMQP_URL: env.string('amqp://guest:guest@127.0.0.1:5672').superRefine((value, ctx) => {
    try {
      amqpNodeUrls(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  MONGO_URL: env.string('mongodb://127.0.0.1:27017'),
  MONGO_DB: env.string('retail_pulse'),
  /** Prefix of every exchange and queue name; lets test runs and installations share a broker. */
  TOPOLOGY_PREFIX: env.string('rp'),
  /**
   * Where FerretDB keeps its SQLite files, when MONGO_URL is a FerretDB 1.24.2 on SQLite: lets the
   * services index reads by _id there (shared/src/mongo/idLookups.ts). Default: .data/ferretdb.
   */
  FERRETDB_SQLITE_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
};
export const commonConfigSchema = z.object(commonConfigShape);

/**
 * The secret the gateway adds to every request it forwards (shared/src/http/internalToken.ts).
 * Set on the ingest and the status API, they answer only requests that carry it, so their ports
 * are no way around the gateway's API keys and rate limits.
 */
export const internalTokenShape = {
  // Empty is unset: compose passes `${INTERNAL_TOKEN:-}` through as ''.
  INTERNAL_TOKEN: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
};
/**
 * The key webhooks are signed with (`X-RP-Signature`, README "Webhooks"), shared with receivers.
 * The ingest only asks whether there is one: without it a submit naming a `callback_url` is
 * refused, never accepted to be delivered unsigned. `npm start` keeps one in the data directory.
 */
export const webhookSecretShape = {
  WEBHOOK_SECRET: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
};
export type CommonConfig = z.infer<typeof commonConfigSchema>;

/**
 * Background stages (image processing, the projection) give the CPU to the request path (gateway,
 * ingest, status) when they share a machine with it: they run at this nice value, 0 (normal) to 19
 * (lowest). On machines of their own it changes nothing. 19 rather than 10: on the bench's submit
 * load, which shares the cores with the image-processor working on the jobs just submitted, 19 took
 * more submits a second in each of five alternated pairs (docs/BENCHMARKS.md, 2026-12-04 evening).
 */
export const backgroundConfigShape = { PROCESS_NICE: env.int(19, 0, 19) };

/**
 * Lowers this process's scheduling priority. On Linux a priority is each thread's own, and Node's
 * threads (V8's workers, the libuv pool that runs sharp) start before this runs: each thread the
 * process has now is lowered, and the threads started afterwards inherit it. Lowering the main
 * thread alone, as this did until 2026-12-04, left 11 of the projection's 12 threads at 0.
 */
export function runInBackground(nice: number): void {
  if (nice <= 0) return;
  for (const threadId of processThreadIds()) {
    try {
      setPriority(threadId, nice);
    } catch {
      // The thread has ended meanwhile.
    }
  }
}

/** The ids of this process's threads (Linux); elsewhere 0, this process, whose priority it is. */
function processThreadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number);
  } catch {
    return [0];
  }
}

/**
 * The start of a background stage's composition root: its configuration parsed, its priority
 * lowered (`PROCESS_NICE`), its logger made.
 */
export function configureBackgroundStage<T extends z.ZodType<{ PROCESS_NICE: number; LOG_LEVEL: string }>>(
  name: string,
  schema: T,
): { config: z.infer<T>; logger: Logger } {
  const config = loadConfig(schema);
  runInBackground(config.PROCESS_NICE);
  return { config, logger: createLogger(name, config.LOG_LEVEL) };
}
