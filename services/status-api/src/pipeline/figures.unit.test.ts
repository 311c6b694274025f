import { histogramQuantile, increase, intervalOf, sampleOf, type SourceReading } from './figures';
import { parseMetricsText } from './metricsText';
import { metricsSourcesSchema } from './sampler';

/** A processor's metrics as prom-client writes them. */
function processorText(options: { succeeded: number; failed: number; notFound: number; fast: number; slow: number }) {
  const { succeeded, failed, notFound, fast, slow } = options;
  return [
    '# HELP rp_images_processed_total Images settled, by outcome',
    '# TYPE rp_images_processed_total counter',
    `rp_images_processed_total{outcome="succeeded"} ${succeeded}`,
    `rp_images_processed_total{outcome="failed"} ${failed}`,
    '# HELP rp_image_failures_total Images failed',
    '# TYPE rp_image_failures_total counter',
    ...(notFound > 0 ? [`rp_image_failures_total{kind="http_status",cause="http_404"} ${notFound}`] : []),
    '# HELP rp_image_download_duration_seconds Time to download an image',
    '# TYPE rp_image_download_duration_seconds histogram',
    `rp_image_download_duration_seconds_bucket{le="0.01",result="ok"} 0`,
    `rp_image_download_duration_seconds_bucket{le="0.1",result="ok"} ${fast}`,
    `rp_image_download_duration_seconds_bucket{le="1",result="ok"} ${fast + slow}`,
    `rp_image_download_duration_seconds_bucket{le="+Inf",result="ok"} ${fast + slow}`,
    `rp_image_download_duration_seconds_sum{result="ok"} 1`,
    `rp_image_download_duration_seconds_count{result="ok"} ${fast + slow}`,
    `rp_image_download_duration_seconds_bucket{le="0.01",result="failed"} 0`,
    `rp_image_download_duration_seconds_bucket{le="0.1",result="failed"} 0`,
    `rp_image_download_duration_seconds_bucket{le="1",result="failed"} 0`,
    `rp_image_download_duration_seconds_bucket{le="+Inf",result="failed"} 50`,
    `rp_image_download_duration_seconds_sum{result="failed"} 500`,
    `rp_image_download_duration_seconds_count{result="failed"} 50`,
    '',
  ].join('\n');
}

const processor = (options: Parameters<typeof processorText>[0]) => parseMetricsText(processorText(options));
const projection = (lag: number) =>
  parseMetricsText(
    `# HELP rp_projection_lag_events Lag\n# TYPE rp_projection_lag_events gauge\nrp_projection_lag_events ${lag}\n`,
  );

describe('a counter between two samples', () => {
  it('grew by the difference, or by all of it after a restart, and by nothing known without a sample before', () => {
    expect(increase(10, 25, true)).toBe(15);
    expect(increase(25, 4, true)).toBe(4);
    expect(increase(undefined, 7, true)).toBe(7);
    expect(increase(undefined, 7, false)).toBe(0);
  });
});

describe('a quantile of histogram buckets', () => {
  it('is interpolated in the bucket it falls in, as Prometheus does', () => {
    const buckets: Array<[number, number]> = [
      [0.1, 50],
      [1, 100],
      [Infinity, 100],
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.55);
  });

  it('is the highest finite bound in the +Inf bucket, and null without observations', () => {
    expect(
      histogramQuantile(0.95, [
        [1, 0],
        [Infinity, 10],
      ]),
    ).toBe(1);
    expect(
      histogramQuantile(0.5, [
        [1, 0],
        [Infinity, 0],
      ]),
    ).toBeNull();
    expect(histogramQuantile(0.5, [])).toBeNull();
  });
});

describe('an interval of the pipeline', () => {
  it('sums the processors, keeps only successful downloads in the latency, and takes the projection lag', () => {
    const readings: SourceReading[] = [
      {
        role: 'image-processor',
        before: processor({ succeeded: 100, failed: 2, notFound: 0, fast: 40, slow: 0 }),
        after: processor({ succeeded: 150, failed: 5, notFound: 3, fast: 80, slow: 10 }),
      },
      {
        role: 'image-processor',
        // restarted: its counters began again from zero
        before: processor({ succeeded: 500, failed: 0, notFound: 0, fast: 500, slow: 0 }),
        after: processor({ succeeded: 10, failed: 0, notFound: 0, fast: 10, slow: 0 }),
      },
      { role: 'projection', before: projection(9), after: projection(4) },
    ];
    const interval = intervalOf(readings);
    expect(interval.images).toEqual({ succeeded: 60, failed: 3 });
    expect(interval.failures).toEqual([{ kind: 'http_status', cause: 'http_404', count: 3 }]);
    // 50 fast and 10 slow downloads; the 50 failed ones (all past 1 s) are left out.
    expect(interval.download).toEqual([
      [0.01, 0],
      [0.1, 50],
      [1, 60],
      [Infinity, 60],
    ]);
    expect(interval.projectionLag).toBe(4);

    const sample = sampleOf(interval, 10, new Date('2026-12-01T00:00:10Z'), { 'rp.image-requests': 7 });
    expect(sample).toEqual({
      at: '2026-12-01T00:00:10.000Z',
      images_per_second: { succeeded: 6, failed: 0.3 },
      failures_per_second: { http_status: 0.3 },
      download_seconds: { p50: 0.064, p95: 0.73 },
      submit_seconds_p95: null,
      queue_ready: { 'rp.image-requests': 7 },
      projection_lag_events: 4,
    });
  });

  it('counts nothing for a service that did not answer, or answered for the first time', () => {
    const after = processor({ succeeded: 9, failed: 1, notFound: 1, fast: 9, slow: 0 });
    const interval = intervalOf([
      { role: 'image-processor', before: undefined, after },
      { role: 'image-processor', before: after, after: undefined },
      { role: 'projection', before: undefined, after: undefined },
    ]);
    expect(interval).toEqual({
      images: { succeeded: 0, failed: 0 },
      failures: [],
      download: [
        [0.01, 0],
        [0.1, 0],
        [1, 0],
        [Infinity, 0],
      ],
      submit: [],
      projectionLag: null,
    });
  });
});

describe('PIPELINE_METRICS_SOURCES', () => {
  it('names each service by its role, numbering a second one of a role', () => {
    expect(
      metricsSourcesSchema.parse(
        'ingest=127.0.0.1:8081, image-processor=127.0.0.1:8084,image-processor=127.0.0.1:8085,projection=projection:8083',
      ),
    ).toEqual([
      { name: 'ingest', role: 'ingest', target: '127.0.0.1:8081' },
      { name: 'image-processor', role: 'image-processor', target: '127.0.0.1:8084' },
      { name: 'image-processor-2', role: 'image-processor', target: '127.0.0.1:8085' },
      { name: 'projection', role: 'projection', target: 'projection:8083' },
    ]);
  });

  it.each(['gateway=127.0.0.1:8080', 'ingest=127.0.0.1', 'ingest', 'ingest=http://127.0.0.1:8081'])(
    'refuses %s',
    (list) => {
      expect(metricsSourcesSchema.safeParse(list).success).toBe(false);
    },
  );
});
