/**
 * `rp`: the command-line client. The API commands talk to the gateway (`--url` / `RP_URL`, with
 * `--api-key` / `RP_API_KEY`); the operator commands run the project's own tools on this
 * checkout. Human output on a terminal, one JSON document with `--json`; exit 1 when what was
 * asked failed (a job that failed, an error answer), 2 for a command line it cannot use.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import type { JobDetailBody, JobImagesPageBody, JobsPageBody } from '@retail-pulse/shared/contracts';
import { Api, ApiError } from './api';
import { detailLines, table } from './format';
import { addOperatorTools } from './tools';

const root = resolve(__dirname, '../..');

interface GlobalOptions {
  url: string;
  apiKey?: string;
  json?: boolean;
}

const program = new Command('rp')
  .description('Retail Pulse from the command line: submit jobs, follow them, read their results.')
  .addOption(new Option('--url <url>', 'the API (the gateway)').env('RP_URL').default('http://localhost:8080'))
  .addOption(new Option('--api-key <key>', 'an API key, when the gateway has API_KEYS').env('RP_API_KEY'))
  .option('--json', 'print one JSON document instead of tables')
  .exitOverride()
  .showHelpAfterError();

const globals = () => program.opts<GlobalOptions>();
const api = () => new Api({ url: globals().url, apiKey: globals().apiKey });
const out = (text: string): void => void process.stdout.write(`${text}\n`);
const json = (value: unknown): void => out(JSON.stringify(value, null, 2));

/** Tries a submit or a retry again (same key, so never twice) while the service says "not now". */
async function postWithRetries<T>(path: string, body: string, key: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api().post<T>(path, body, { 'idempotency-key': key });
    } catch (error) {
      const transient = error instanceof ApiError && (error.status === 0 || error.status === 503);
      if (!transient || attempt >= 4) throw error;
      process.stderr.write(`rp: ${error.message}; trying again (${attempt}/3)\n`);
      await new Promise((done) => setTimeout(done, 1_000 * attempt));
    }
  }
}

/** Follows a job's events to the end; a progress bar on a terminal. Returns its settled detail. */
async function follow(jobId: number, onEvent?: (detail: JobDetailBody) => void): Promise<JobDetailBody> {
  const bar =
    !onEvent && process.stderr.isTTY
      ? new SingleBar({ format: `job ${jobId} [{bar}] {value}/{total} images {failed}` })
      : undefined;
  let last: JobDetailBody | undefined;
  try {
    for await (const detail of api().events<JobDetailBody>(`/api/jobs/${jobId}/events`)) {
      last = detail;
      onEvent?.(detail);
      const done = detail.images.succeeded + detail.images.failed;
      const failed = detail.images.failed > 0 ? `(${detail.images.failed} failed)` : '';
      if (bar && !bar.isActive) bar.start(detail.images.total, done, { failed });
      bar?.update(done, { failed });
    }
  } finally {
    bar?.stop();
  }
  // Connected after it settled and already seen (204), or the stream ended: the detail says.
  return last ?? (await api().get<JobDetailBody>(`/api/jobs/${jobId}`));
}

program
  .command('submit')
  .description('submit a job from a JSON file (- for standard input), as POST /api/submit takes it')
  .argument('<file>', 'the job: {"count": …, "visits": [...]}')
  .option('--wait', 'follow the job until it settles; exit 1 if it failed')
  .option('--key <key>', 'the Idempotency-Key (default: a new one; the same key never makes a second job)')
  .action(async (file: string, options: { wait?: boolean; key?: string }) => {
    const body = readFileSync(file === '-' ? 0 : file, 'utf8');
    const { job_id: jobId } = await postWithRetries<{ job_id: number }>(
      '/api/submit/',
      body,
      options.key ?? randomUUID(),
    );
    if (!options.wait) return globals().json ? json({ job_id: jobId }) : out(`job ${jobId} submitted`);
    const detail = await follow(jobId);
    if (globals().json) json(detail);
    else detailLines(detail).forEach(out);
    if (detail.status === 'failed') process.exitCode = 1;
  });

program
  .command('cancel')
  .description('cancel an ongoing job: its images not processed yet are dropped, and it settles as failed')
  .argument('<job_id>')
  .option('--wait', 'follow the job until it settles and show it')
  .action(async (jobId: string, options: { wait?: boolean }) => {
    const accepted = await api().post<{ job_id: number }>(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, '');
    if (!options.wait) {
      return globals().json ? json(accepted) : out(`job ${accepted.job_id}: cancellation accepted`);
    }
    const detail = await follow(accepted.job_id);
    if (globals().json) json(detail);
    else detailLines(detail).forEach(out);
    // Sent as the last images settled, a cancellation changes nothing: the job completed anyway.
    if (detail.status !== 'failed') {
      process.stderr.write(`rp: job ${detail.job_id} ${detail.status} before the cancellation took effect\n`);
      process.exitCode = 1;
    }
  });

program
  .command('retry')
  .description("submit a failed job's failed images again, as a new job (the same visits, stores and times)")
  .argument('<job_id>')
  .option('--wait', 'follow the new job until it settles; exit 1 if it failed')
  .option('--key <key>', 'the Idempotency-Key (default: a new one; the same key never makes a second job)')
  .action(async (jobId: string, options: { wait?: boolean; key?: string }) => {
    const accepted = await postWithRetries<{ job_id: number; retry_of: number }>(
      `/api/jobs/${encodeURIComponent(jobId)}/retry`,
      '',
      options.key ?? randomUUID(),
    );
    if (!options.wait) {
      return globals().json
        ? json(accepted)
        : out(`job ${accepted.job_id} submitted: the failed images of job ${accepted.retry_of}`);
    }
    const detail = await follow(accepted.job_id);
    if (globals().json) json(detail);
    else detailLines(detail).forEach(out);
    if (detail.status === 'failed') process.exitCode = 1;
  });

program
  .command('status')
  .description('a job status: ongoing, completed, or failed with the reasons')
  .argument('<job_id>')
  .action(async (jobId: string) => {
    const status = await api().get<{
      status: string;
      job_id: number;
      error?: Array<{ store_id: string; error: string }>;
    }>('/api/status', { jobid: jobId });
    if (globals().json) return json(status);
    out(`job ${status.job_id}: ${status.status}`);
    if (status.error) out(table(status.error, ['store_id', 'error']));
  });

program
  .command('job')
  .description("a job's detail: its counts, per visit too")
  .argument('<job_id>')
  .action(async (jobId: string) => {
    const detail = await api().get<JobDetailBody>(`/api/jobs/${encodeURIComponent(jobId)}`);
    if (globals().json) json(detail);
    else detailLines(detail).forEach(out);
  });

program
  .command('jobs')
  .description('jobs, newest first')
  .addOption(new Option('--status <status>', 'only jobs in this state').choices(['ongoing', 'completed', 'failed']))
  .option('--limit <n>', 'how many', '20')
  .action(async (options: { status?: string; limit: string }) => {
    const page = await api().get<JobsPageBody>('/api/jobs', { status: options.status, limit: options.limit });
    if (globals().json) return json(page);
    const rows = page.jobs.map((job) => ({
      job_id: job.job_id,
      status: job.status,
      images: job.images.total,
      succeeded: job.images.succeeded,
      failed: job.images.failed,
      pending: job.images.pending,
      submitted_at: job.submitted_at,
    }));
    out(table(rows, ['job_id', 'status', 'images', 'succeeded', 'failed', 'pending', 'submitted_at']));
  });

program
  .command('images')
  .description("a job's images with their results, in submission order (every page)")
  .argument('<job_id>')
  .action(async (jobId: string) => {
    const images: JobImagesPageBody['images'] = [];
    let cursor: string | undefined;
    do {
      const page = await api().get<JobImagesPageBody>(`/api/jobs/${encodeURIComponent(jobId)}/images`, {
        limit: '1000',
        cursor,
      });
      images.push(...page.images);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    if (globals().json) return json({ images });
    const rows = images.map((image) => ({
      ...image,
      size: image.width !== null ? `${image.width}x${image.height}` : '',
      perimeter: image.perimeter ?? '',
      error: image.error ?? '',
    }));
    out(table(rows, ['status', 'store_id', 'size', 'perimeter', 'attempts', 'url', 'error']));
  });

program
  .command('visits')
  .description('measured perimeters per store and day')
  .option('--area <code>')
  .option('--store <store_id>')
  .option('--from <date>', 'startdate, e.g. 2024-01-21')
  .option('--to <date>', 'enddate')
  .action(async (options: { area?: string; store?: string; from?: string; to?: string }) => {
    const answer = await api().get<{
      results: Array<{
        store_id: string;
        area: string;
        store_name: string;
        data: Array<{ date: string; perimeter: number[] }>;
      }>;
    }>('/api/visits', { area: options.area, storeid: options.store, startdate: options.from, enddate: options.to });
    if (globals().json) return json(answer);
    const rows = answer.results.flatMap((store) =>
      store.data.map((day) => ({
        store_id: store.store_id,
        area: store.area,
        store_name: store.store_name,
        date: day.date,
        images: day.perimeter.length,
        perimeters: day.perimeter.join(' '),
      })),
    );
    out(table(rows, ['store_id', 'area', 'store_name', 'date', 'images', 'perimeters']));
  });

program
  .command('watch')
  .description("follow a job's live progress (its event stream) until it settles; exit 1 if it failed")
  .argument('<job_id>')
  .action(async (jobId: string) => {
    const detail = await follow(Number(jobId), (event) => {
      if (globals().json) out(JSON.stringify(event));
      else {
        const { total, succeeded, failed } = event.images;
        out(`job ${event.job_id} ${event.status}: ${succeeded + failed}/${total} images settled, ${failed} failed`);
      }
    });
    if (detail.status === 'failed') process.exitCode = 1;
  });

addOperatorTools(program, root);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  process.stderr.write(`rp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
