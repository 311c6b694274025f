import { z } from 'zod';
import { readModelNames, type ReadModelName } from '../readModels';
import { gatewayResponses, type ApiRoute } from './route';

/**
 * The operator's routes (`/api/ops/…`) the status API answers, each from data it owns: the
 * pipeline's figures (sampled from the services' own metrics and from RabbitMQ), the store master
 * it holds, and the read models' generations. The dead letters are the ingest's (deadLetters.ts).
 */

const datetime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();
const perSecond = z.number().nonnegative();

// --- the pipeline ---------------------------------------------------------------------------------

export const pipelineSampleSchema = z.object({
  at: datetime,
  images_per_second: z.object({ succeeded: perSecond, failed: perSecond }),
  /** By failure kind (unknown_store, download, http_status, …); kinds without failures are absent. */
  failures_per_second: z.record(z.string(), perSecond),
  /** Image downloads finished in the interval: quantiles from the processors' histogram; null without any. */
  download_seconds: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  /** Submits the ingest answered in the interval; null without any. */
  submit_seconds_p95: z.number().nullable(),
  /** Ready messages by queue, as RabbitMQ counts them (a passive declare of each queue). */
  queue_ready: z.record(z.string(), count),
  /** Events the projection received and has not folded yet; null when the projection did not answer. */
  projection_lag_events: count.nullable(),
});
export type PipelineSampleBody = z.infer<typeof pipelineSampleSchema>;

export const pipelineSchema = z.object({
  sample_seconds: z.number().positive(),
  window_seconds: z.number().positive(),
  /** Oldest first, one per sampling interval. */
  samples: z.array(pipelineSampleSchema),
  /** Image failures within the window by kind and cause, most first. */
  failures: z.array(z.object({ kind: z.string(), cause: z.string(), count })),
  /** Every queue of the topology now. */
  queues: z.array(z.object({ name: z.string(), ready: count, consumers: count })),
  /** Whose metrics were read at the last sample, and whether they answered. */
  sources: z.array(z.object({ name: z.string(), target: z.string(), up: z.boolean(), error: z.string().optional() })),
});
export type PipelineBody = z.infer<typeof pipelineSchema>;

// --- the store master ---------------------------------------------------------------------------

export const storeMasterSchema = z.object({
  /** 0 before the first import. */
  version: count,
  stores: count,
  areas: count,
  checksum: z.string(),
  /** The file it was imported from; null before the first import. */
  source: z.string().nullable(),
  imported_at: datetime.nullable(),
});
export type StoreMasterBody = z.infer<typeof storeMasterSchema>;

// --- read models and replays ----------------------------------------------------------------------

const modelName = z.enum(readModelNames);

export const readModelsSchema = z.object({
  /** The generation the API serves, per read model. */
  served: z.object({ jobStatus: count, visits: count, jobs: count } satisfies Record<ReadModelName, typeof count>),
  switched_at: datetime.nullable(),
  /** The highest position the log's writer has handed out. */
  log_position: count,
  /** Every generation with a checkpoint: how far each of its read models has folded the log. */
  generations: z.array(
    z.object({
      generation: z.number().int().positive(),
      models: z.array(z.object({ model: modelName, checkpoint: count, updated_at: datetime, served: z.boolean() })),
    }),
  ),
  /** The last `npm run replay` (its progress while it runs); null when none was recorded. */
  replay: z
    .object({
      status: z.enum(['running', 'finished', 'failed']),
      generation: z.number().int().positive(),
      models: z.array(modelName),
      events: count,
      total: count,
      started_at: datetime,
      updated_at: datetime,
      finished_at: datetime.nullable(),
      error: z.string().optional(),
    })
    .nullable(),
});
export type ReadModelsBody = z.infer<typeof readModelsSchema>;

// --- the routes, for the OpenAPI document -----------------------------------------------------------

const sample: PipelineSampleBody = {
  at: '2026-12-01T22:18:35.000Z',
  images_per_second: { succeeded: 41.2, failed: 0.4 },
  failures_per_second: { http_status: 0.4 },
  download_seconds: { p50: 0.012, p95: 0.041 },
  submit_seconds_p95: 0.009,
  queue_ready: { 'rp.image-requests': 120, 'rp.dead-letters': 1 },
  projection_lag_events: 3,
};
export const opsRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/api/ops/pipeline',
    operationId: 'getPipeline',
    summary: "The pipeline's figures over the last minutes",
    description:
      'Sampled by the status API every `PIPELINE_SAMPLE_MS` from the services’ own `/metrics` (the image-processors’ ' +
      'and the ingest’s counters and histograms, the projection’s lag) and from RabbitMQ (each queue’s ready ' +
      'messages and consumers), kept for `PIPELINE_WINDOW_SECONDS`: images per second, failures per second by kind, ' +
      'download and submit latency, queue depths, projection lag.',
    tags: ['operations'],
    responses: {
      200: {
        description: 'The samples, oldest first, and the state now.',
        schema: pipelineSchema,
        examples: {
          figures: {
            value: {
              sample_seconds: 5,
              window_seconds: 600,
              samples: [sample],
              failures: [{ kind: 'http_status', cause: 'http_404', count: 2 }],
              queues: [{ name: 'rp.image-requests', ready: 120, consumers: 1 }],
              sources: [{ name: 'image-processor', target: '127.0.0.1:8084', up: true }],
            },
          },
        },
      },
      ...gatewayResponses,
    },
  },
  {
    method: 'get',
    path: '/api/ops/store-master',
    operationId: 'getStoreMaster',
    summary: 'The store master in use',
    description: 'The version every process checks stores against now: its size, its source and when it was imported.',
    tags: ['operations'],
    responses: {
      200: {
        description: 'The current version (version 0 before the first import).',
        schema: storeMasterSchema,
        examples: {
          current: {
            value: {
              version: 2,
              stores: 4944,
              areas: 2,
              checksum: 'sha256:058aae4a65a6b0d75146f1456206066414e8f64966568bdc577c011315fb42e7',
              source: 'StoreMasterAssignment.csv',
              imported_at: '2026-12-01T22:10:00.000Z',
            },
          },
        },
      },
      ...gatewayResponses,
    },
  },
  {
    method: 'get',
    path: '/api/ops/read-models',
    operationId: 'getReadModels',
    summary: 'Read-model generations and the last replay',
    description:
      'Which generation of each read model the API serves, how far every generation has folded the log, and the ' +
      'progress of the last `npm run replay`.',
    tags: ['operations'],
    responses: {
      200: {
        description: 'The generations and the replay.',
        schema: readModelsSchema,
        examples: {
          served: {
            value: {
              served: { jobStatus: 1, visits: 1, jobs: 1 },
              switched_at: null,
              log_position: 1200,
              generations: [
                {
                  generation: 1,
                  models: [
                    { model: 'jobStatus', checkpoint: 1200, updated_at: '2026-12-01T22:18:35.000Z', served: true },
                  ],
                },
              ],
              replay: null,
            },
          },
        },
      },
      ...gatewayResponses,
    },
  },
];
