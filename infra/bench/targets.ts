/**
 * The end of `npm run bench`: the curve of the reads as the history grows, and every target of the
 * issue beside the run's figure (the summary's fields, as the phases name them).
 */
import { readTargets, type HistoryRow } from './historyReads';

/** The curve of the reads as the history grows, and every target of the run beside its figure. */
export function printTargets(summary: Record<string, unknown>, rows: HistoryRow[], delayMode: 'spec' | 'zero'): void {
  if (rows.length > 0) {
    console.log('reads over HTTP as the history grows (p50 / p99 ms):');
    console.table(
      rows.map((row) => ({
        images: row.images,
        'replay events/s': row.replayEventsPerSecond,
        ...Object.fromEntries(Object.keys(readTargets).map((name) => [name, timing(row, name)])),
        'area 30d images': row.areaImages30d,
        'area, same answer': `${row.areaSameAnswerDays} d, ${row.areaImagesSameAnswer} images: ${timing(row, 'areaVisitsSameAnswerMs')}`,
      })),
    );
  }
  const figure = (name: string) => summary[name] as number | undefined;
  const targets: Array<{ target: string; figure: string; met: boolean | string }> = [];
  const largest = rows[rows.length - 1];
  const smallest = rows[0];
  if (largest) {
    for (const [name, limit] of Object.entries(readTargets)) {
      const p99 = (largest[name as keyof HistoryRow] as { p99: number }).p99;
      targets.push({
        target: `${name} p99 < ${limit} at ${largest.images} images`,
        figure: `${p99}`,
        met: p99 < limit,
      });
      if (smallest && smallest !== largest) {
        const growth = p99 / (smallest[name as keyof HistoryRow] as { p99: number }).p99;
        targets.push({
          target: `${name} p99 flat (within 2×) from ${smallest.images} images`,
          figure: `${growth.toFixed(2)}×`,
          met: growth <= 2,
        });
      }
    }
    if (smallest && smallest !== largest) {
      // Not a target of its own: what the area's growth above is once its answer no longer grows.
      const growth = largest.areaVisitsSameAnswerMs.p99 / smallest.areaVisitsSameAnswerMs.p99;
      targets.push({
        target: `areaVisits p99 at the same answer size (${largest.areaImagesSameAnswer} vs ${smallest.areaImagesSameAnswer} images), growth`,
        figure: `${growth.toFixed(2)}×`,
        met: 'for the record',
      });
    }
    targets.push({
      target: `replay ≥ 20,000 events/s at ${largest.events} events`,
      figure: `${largest.replayEventsPerSecond}`,
      met: largest.replayEventsPerSecond >= 20_000,
    });
  }
  const rate = figure('imagesPerSecond');
  const cpuTotal = figure('cpuMsPerImageTotal');
  if (rate !== undefined) {
    const floor = delayMode === 'spec' ? 1_000 : 1_200;
    targets.push({ target: `images/s ≥ ${floor} (${delayMode} delay)`, figure: `${rate}`, met: rate >= floor });
  }
  if (cpuTotal !== undefined) {
    targets.push({ target: 'CPU per image ≤ 1.5 ms, all processes', figure: `${cpuTotal} ms`, met: cpuTotal <= 1.5 });
  }
  // The steady state, and the first submits a fresh ingest takes (pipeline.ts runs both loads).
  for (const [label, rps, p99] of [
    ['steady', figure('submitRps'), figure('p99SubmitMs')],
    ['fresh ingest', figure('coldSubmitRps'), figure('coldP99SubmitMs')],
  ] as const) {
    if (rps === undefined || p99 === undefined) continue;
    targets.push({
      target: `submit ≥ 2,000 jobs/s at p99 < 50 ms (${label})`,
      figure: `${rps} jobs/s at p99 ${p99} ms`,
      met: rps >= 2_000 && p99 < 50,
    });
  }
  console.log('targets:');
  console.table(targets);
}

const timing = (row: HistoryRow, name: string) => {
  const value = row[name as keyof HistoryRow] as { p50: number; p99: number };
  return `${value.p50} / ${value.p99}`;
};
