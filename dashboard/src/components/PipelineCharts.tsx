import { formatCount, formatRate, formatSeconds } from '../format';
import type { PipelineBody } from '../types';
import { TimeChart, type ChartSeries } from './TimeChart';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

/** The queues an operator watches, by the end of their name (the prefix is the installation's). */
const QUEUES: Array<{ suffix: string; label: string }> = [
  { suffix: '.image-requests', label: 'image requests' },
  { suffix: '.dispatch', label: 'dispatch' },
  { suffix: '.projection', label: 'projection' },
  { suffix: '.dead-letters', label: 'dead letters' },
];

/** Images per second, latency, failures by kind, queue depths and projection lag, from `GET /api/ops/pipeline`. */
export function PipelineCharts({ pipeline, error }: { pipeline: PipelineBody | undefined; error: string | undefined }) {
  const samples = pipeline?.samples ?? [];
  const times = samples.map((sample) => Date.parse(sample.at) / 1000);
  const kinds = [...new Set(samples.flatMap((sample) => Object.keys(sample.failures_per_second)))].sort();
  const queueNames = Object.keys(samples.at(-1)?.queue_ready ?? {});
  const delayQueues = queueNames.filter((name) => /\.delay-\d+$/.test(name));
  const queueSeries: ChartSeries[] = [
    ...QUEUES.flatMap(({ suffix, label }, index) => {
      const name = queueNames.find((queue) => queue.endsWith(suffix));
      return name
        ? [{ label, color: PALETTE[index]!, values: samples.map((sample) => sample.queue_ready[name] ?? null) }]
        : [];
    }),
    ...(delayQueues.length > 0
      ? [
          {
            label: 'retry delays',
            color: PALETTE[4]!,
            values: samples.map((sample) =>
              delayQueues.reduce((sum, name) => sum + (sample.queue_ready[name] ?? 0), 0),
            ),
          },
        ]
      : []),
  ];
  const down = (pipeline?.sources ?? []).filter((source) => !source.up);
  return (
    <section class="card" aria-labelledby="pipeline-title">
      <header class="card-header">
        <h2 id="pipeline-title">Pipeline</h2>
        {pipeline && (
          <span class="muted">
            last {Math.round(pipeline.window_seconds / 60)} min, a sample every {pipeline.sample_seconds} s
          </span>
        )}
      </header>
      {error && <p class="notice notice-bad">Pipeline figures unavailable: {error}</p>}
      {down.length > 0 && (
        <p class="notice notice-warn">
          Not answering: {down.map((source) => `${source.name} (${source.error ?? 'down'})`).join(', ')}
        </p>
      )}
      <div class="charts">
        <TimeChart
          title="Images per second"
          times={times}
          filled
          format={formatRate}
          series={[
            { label: 'succeeded', color: '#16a34a', values: samples.map((s) => s.images_per_second.succeeded) },
            { label: 'failed', color: '#dc2626', values: samples.map((s) => s.images_per_second.failed) },
          ]}
        />
        <TimeChart
          title="Latency"
          times={times}
          spanGaps
          format={formatSeconds}
          series={[
            { label: 'download p50', color: '#2563eb', values: samples.map((s) => s.download_seconds.p50) },
            { label: 'download p95', color: '#7c3aed', values: samples.map((s) => s.download_seconds.p95) },
            { label: 'submit p95', color: '#d97706', values: samples.map((s) => s.submit_seconds_p95) },
          ]}
        />
        <TimeChart
          title="Failures per second, by kind"
          times={times}
          filled
          format={formatRate}
          series={
            kinds.length > 0
              ? kinds.map((kind, index) => ({
                  label: kind.replace(/_/g, ' '),
                  color: PALETTE[(index + 1) % PALETTE.length]!,
                  values: samples.map((s) => s.failures_per_second[kind] ?? 0),
                }))
              : [{ label: 'failures', color: '#dc2626', values: samples.map(() => 0) }]
          }
        />
        <TimeChart
          title="Queue depth (ready messages)"
          times={times}
          integer
          format={formatCount}
          series={queueSeries}
        />
        <TimeChart
          title="Projection lag (events not folded yet)"
          times={times}
          filled
          integer
          format={formatCount}
          series={[{ label: 'lag', color: '#0891b2', values: samples.map((s) => s.projection_lag_events) }]}
        />
        <FailureReasons pipeline={pipeline} />
      </div>
    </section>
  );
}

function FailureReasons({ pipeline }: { pipeline: PipelineBody | undefined }) {
  const failures = pipeline?.failures ?? [];
  return (
    <figure class="chart">
      <figcaption>Failures by reason, last {Math.round((pipeline?.window_seconds ?? 600) / 60)} min</figcaption>
      {failures.length === 0 ? (
        <p class="empty">No image failed.</p>
      ) : (
        <table class="table compact">
          <thead>
            <tr>
              <th>Reason</th>
              <th class="num">Images</th>
            </tr>
          </thead>
          <tbody>
            {failures.slice(0, 8).map((failure) => (
              <tr key={`${failure.kind}|${failure.cause}`}>
                <td>
                  {failure.kind.replace(/_/g, ' ')}
                  {failure.cause !== failure.kind && <span class="muted"> · {failure.cause.replace(/_/g, ' ')}</span>}
                </td>
                <td class="num">{formatCount(failure.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
