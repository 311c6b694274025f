import { ServiceMetrics } from '@retail-pulse/shared/service';
import { parseMetricsText, parseSampleLine } from './metricsText';

describe("reading Prometheus's text format", () => {
  it('reads what prom-client writes: labelled counters and each series of a labelled histogram', async () => {
    const metrics = new ServiceMetrics();
    const processed = metrics.counter({ name: 'rp_test_total', help: 'x', labelNames: ['outcome'] });
    processed.inc({ outcome: 'succeeded' }, 5);
    processed.inc({ outcome: 'failed' });
    const downloads = metrics.histogram({
      name: 'rp_test_seconds',
      help: 'x',
      labelNames: ['result'],
      buckets: [0.1, 1],
    });
    downloads.observe({ result: 'ok' }, 0.05);
    downloads.observe({ result: 'ok' }, 0.5);
    downloads.observe({ result: 'failed' }, 3);
    const { body } = await metrics.exposition();

    const scrape = parseMetricsText(body);
    expect(scrape.values.get('rp_test_total')).toEqual([
      { labels: { outcome: 'succeeded' }, value: 5 },
      { labels: { outcome: 'failed' }, value: 1 },
    ]);
    expect(scrape.histograms.get('rp_test_seconds')).toEqual([
      {
        labels: { result: 'ok' },
        buckets: [
          [0.1, 1],
          [1, 2],
          [Infinity, 2],
        ],
        count: 2,
      },
      {
        labels: { result: 'failed' },
        buckets: [
          [0.1, 0],
          [1, 0],
          [Infinity, 1],
        ],
        count: 1,
      },
    ]);
    // The process defaults are there too, as plain values.
    expect(scrape.values.get('process_cpu_user_seconds_total')?.[0]?.value).toBeGreaterThanOrEqual(0);
  });

  it('unescapes label values and takes a timestamp, special values and no labels', () => {
    expect(parseSampleLine('m{path="C:\\\\DIR",error="say \\"no\\"\\n"} 1.5e3 1395066363000')).toEqual({
      name: 'm',
      labels: { path: 'C:\\DIR', error: 'say "no"\n' },
      value: 1500,
    });
    expect(parseSampleLine('up +Inf')).toEqual({ name: 'up', labels: {}, value: Infinity });
    expect(parseSampleLine('m{a="1",} 2')).toEqual({ name: 'm', labels: { a: '1' }, value: 2 });
  });

  it.each(['', '# HELP m x', 'm{a="1"', 'm{a=1} 2', 'm', 'm{a="1"} two', '{a="1"} 2'])('skips %j', (line) => {
    expect(parseSampleLine(line)).toBeUndefined();
  });
});
