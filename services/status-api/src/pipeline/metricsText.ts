/**
 * Prometheus's text exposition format (version 0.0.4, what prom-client writes), read into numbers.
 *
 * Our own reader, because the one package for it (parse-prometheus-text-format 1.1.1) merges the
 * series of a labelled histogram into one and drops their labels and counts — exactly the
 * histograms the pipeline's latency comes from. The format is line-based and small: a sample is
 * `name{label="value",…} value [timestamp]`, `# TYPE` lines say which names are histograms.
 */

/** One series of a counter or gauge. */
export interface SeriesValue {
  labels: Record<string, string>;
  value: number;
}

/** One series of a histogram: cumulative bucket counts by upper bound (`Infinity` last), and its count. */
export interface HistogramValue {
  labels: Record<string, string>;
  buckets: Array<[upperBound: number, cumulative: number]>;
  count: number;
}

/** What one scrape of a service's `/metrics` held, by metric family name. */
export interface Scrape {
  values: Map<string, SeriesValue[]>;
  histograms: Map<string, HistogramValue[]>;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/;
const UNESCAPE: Record<string, string> = { '\\': '\\', '"': '"', n: '\n' };

function numberOf(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** One sample line, or undefined for a line that is not one (a comment, a blank, garbage). */
export function parseSampleLine(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) break;
      const label = LABEL.exec(rest);
      if (!label) return undefined;
      rest = rest.slice(label[0].length);
      let value = '';
      let index = 0;
      for (; index < rest.length && rest[index] !== '"'; index++) {
        if (rest[index] === '\\' && index + 1 < rest.length) value += UNESCAPE[rest[++index]!] ?? rest[index];
        else value += rest[index];
      }
      if (index >= rest.length) return undefined;
      labels[label[1]!] = value;
      rest = rest.slice(index + 1).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) return undefined;
    }
    rest = rest.slice(1);
  }
  const [valueText] = rest.trim().split(/\s+/);
  if (!valueText) return undefined;
  const value = numberOf(valueText);
  return Number.isNaN(value) && valueText !== 'NaN' ? undefined : { name, labels, value };
}

const keyOf = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/** Reads a whole exposition: counters and gauges by name, histograms by family name. */
export function parseMetricsText(text: string): Scrape {
  const histogramNames = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
    if (type) {
      if (type[2] === 'histogram') histogramNames.add(type[1]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSampleLine(line);
    if (sample) samples.push(sample);
  }
  const scrape: Scrape = { values: new Map(), histograms: new Map() };
  const series = new Map<string, HistogramValue>();
  for (const sample of samples) {
    const family = /^(.*)_(bucket|count|sum)$/.exec(sample.name);
    if (!family || !histogramNames.has(family[1]!)) {
      const values = scrape.values.get(sample.name) ?? [];
      values.push({ labels: sample.labels, value: sample.value });
      scrape.values.set(sample.name, values);
      continue;
    }
    const [, name, part] = family as unknown as [string, string, 'bucket' | 'count' | 'sum'];
    const { le, ...labels } = sample.labels;
    const key = `${name}|${keyOf(labels)}`;
    let histogram = series.get(key);
    if (!histogram) {
      histogram = { labels, buckets: [], count: 0 };
      series.set(key, histogram);
      scrape.histograms.set(name, [...(scrape.histograms.get(name) ?? []), histogram]);
    }
    if (part === 'bucket' && le !== undefined) histogram.buckets.push([numberOf(le), sample.value]);
    if (part === 'count') histogram.count = sample.value;
  }
  for (const histogram of series.values()) histogram.buckets.sort(([a], [b]) => a - b);
  return scrape;
}
