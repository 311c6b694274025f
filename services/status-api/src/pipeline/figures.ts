import type { PipelineSampleBody } from '@retail-pulse/shared/contracts/api';
import type { HistogramValue, Scrape, SeriesValue } from './metricsText';

/**
 * The pipeline's figures from two scrapes of the services' metrics, as Prometheus's `increase()`
 * and `histogram_quantile()` compute them: pure, so they are unit-tested on made-up scrapes.
 */

/** What a scraped service contributes: the processors' images, the ingest's submits, the projection's lag. */
export type SourceRole = 'image-processor' | 'ingest' | 'projection';

/** One service at two consecutive samples; `undefined` where it did not answer. */
export interface SourceReading {
  role: SourceRole;
  before: Scrape | undefined;
  after: Scrape | undefined;
}

/** Cumulative bucket counts by upper bound, ascending, `Infinity` last. */
export type Buckets = Array<[upperBound: number, cumulative: number]>;

export interface Interval {
  images: { succeeded: number; failed: number };
  failures: Array<{ kind: string; cause: string; count: number }>;
  download: Buckets;
  submit: Buckets;
  projectionLag: number | null;
}

const keyOf = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/**
 * A counter's increase between two readings. A lower value means the process restarted and
 * counted from zero again, so all of it is new. Without a reading before, nothing is known of the
 * interval: 0 (a series that only appeared since has counted from zero: all of it).
 */
export function increase(before: number | undefined, after: number, sourceSeenBefore: boolean): number {
  if (!sourceSeenBefore) return 0;
  if (before === undefined || after < before) return after;
  return after - before;
}

function seriesIncreases(
  reading: SourceReading,
  name: string,
): Array<{ labels: Record<string, string>; increase: number }> {
  const after = reading.after?.values.get(name) ?? [];
  const before = new Map(
    (reading.before?.values.get(name) ?? []).map((series: SeriesValue) => [keyOf(series.labels), series.value]),
  );
  return after.map((series) => ({
    labels: series.labels,
    increase: increase(before.get(keyOf(series.labels)), series.value, reading.before !== undefined),
  }));
}

/** The bucket increases of every series of a histogram that `include` keeps, summed by bound. */
function histogramIncrease(
  reading: SourceReading,
  name: string,
  include: (labels: Record<string, string>) => boolean,
): Buckets {
  const before = new Map(
    (reading.before?.histograms.get(name) ?? []).map((series: HistogramValue) => [keyOf(series.labels), series]),
  );
  const sums = new Map<number, number>();
  for (const series of reading.after?.histograms.get(name) ?? []) {
    if (!include(series.labels)) continue;
    const earlier = before.get(keyOf(series.labels));
    const restarted = earlier !== undefined && series.count < earlier.count;
    const earlierBuckets = new Map(restarted ? [] : (earlier?.buckets ?? []));
    for (const [bound, cumulative] of series.buckets) {
      const grown = reading.before === undefined ? 0 : cumulative - (earlierBuckets.get(bound) ?? 0);
      sums.set(bound, (sums.get(bound) ?? 0) + Math.max(grown, 0));
    }
  }
  return [...sums].sort(([a], [b]) => a - b);
}

function addBuckets(into: Buckets, more: Buckets): Buckets {
  const sums = new Map(into);
  for (const [bound, count] of more) sums.set(bound, (sums.get(bound) ?? 0) + count);
  return [...sums].sort(([a], [b]) => a - b);
}

/**
 * The q-quantile of observations in cumulative buckets, interpolated linearly within the bucket it
 * falls in, as Prometheus's histogram_quantile does; in the `+Inf` bucket, the highest finite bound.
 * Null without observations.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [upperBound, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (upperBound === Infinity) return lowerBound;
      if (cumulative === lowerCount) return upperBound;
      return lowerBound + ((upperBound - lowerBound) * (rank - lowerCount)) / (cumulative - lowerCount);
    }
    lowerBound = upperBound;
    lowerCount = cumulative;
  }
  return lowerBound;
}

/** What happened between two samples, summed over every service of a role. */
export function intervalOf(readings: readonly SourceReading[]): Interval {
  const interval: Interval = {
    images: { succeeded: 0, failed: 0 },
    failures: [],
    download: [],
    submit: [],
    projectionLag: null,
  };
  const failures = new Map<string, { kind: string; cause: string; count: number }>();
  for (const reading of readings) {
    if (!reading.after) continue;
    if (reading.role === 'image-processor') {
      for (const { labels, increase: grown } of seriesIncreases(reading, 'rp_images_processed_total')) {
        if (labels.outcome === 'succeeded' || labels.outcome === 'failed') interval.images[labels.outcome] += grown;
      }
      for (const { labels, increase: grown } of seriesIncreases(reading, 'rp_image_failures_total')) {
        if (grown === 0) continue;
        const kind = labels.kind ?? 'unknown';
        const cause = labels.cause ?? 'unknown';
        const known = failures.get(`${kind}|${cause}`) ?? { kind, cause, count: 0 };
        known.count += grown;
        failures.set(`${kind}|${cause}`, known);
      }
      interval.download = addBuckets(
        interval.download,
        histogramIncrease(reading, 'rp_image_download_duration_seconds', (labels) => labels.result === 'ok'),
      );
    } else if (reading.role === 'ingest') {
      interval.submit = addBuckets(
        interval.submit,
        histogramIncrease(
          reading,
          'rp_http_request_duration_seconds',
          (labels) => labels.method === 'POST' && labels.route === '/api/submit',
        ),
      );
    } else {
      const lag = reading.after.values.get('rp_projection_lag_events')?.[0]?.value;
      if (lag !== undefined && Number.isFinite(lag)) interval.projectionLag = (interval.projectionLag ?? 0) + lag;
    }
  }
  interval.failures = [...failures.values()];
  return interval;
}

const rate = (count: number, seconds: number) => Math.round((count / seconds) * 1000) / 1000;
const seconds3 = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);

/** One sample of the pipeline from an interval of `seconds` that ended `at`. */
export function sampleOf(
  interval: Interval,
  seconds: number,
  at: Date,
  queueReady: Record<string, number>,
): PipelineSampleBody {
  const failuresByKind: Record<string, number> = {};
  for (const { kind, count } of interval.failures) failuresByKind[kind] = (failuresByKind[kind] ?? 0) + count;
  return {
    at: at.toISOString(),
    images_per_second: {
      succeeded: rate(interval.images.succeeded, seconds),
      failed: rate(interval.images.failed, seconds),
    },
    failures_per_second: Object.fromEntries(
      Object.entries(failuresByKind).map(([kind, count]) => [kind, rate(count, seconds)]),
    ),
    download_seconds: {
      p50: seconds3(histogramQuantile(0.5, interval.download)),
      p95: seconds3(histogramQuantile(0.95, interval.download)),
    },
    submit_seconds_p95: seconds3(histogramQuantile(0.95, interval.submit)),
    queue_ready: queueReady,
    projection_lag_events: interval.projectionLag,
  };
}
