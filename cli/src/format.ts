import type { JobDetailBody } from '@retail-pulse/shared/contracts';

/** Rows as aligned columns under a header; pure. */
export function table<T extends object>(rows: T[], columns: Array<keyof T & string>): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => String((row as Record<string, unknown>)[column] ?? '')));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** A job's detail for people: a summary line, then one row per visit. */
export function detailLines(detail: JobDetailBody): string[] {
  const { total, succeeded, failed, pending } = detail.images;
  const settled = detail.cancelled_at
    ? `, cancelled ${detail.cancelled_at}`
    : detail.settled_at
      ? `, settled ${detail.settled_at}`
      : '';
  const retry = detail.retry_of ? `, a retry of job ${detail.retry_of}` : '';
  return [
    `job ${detail.job_id}: ${detail.status} — ${total} images, ${succeeded} succeeded, ${failed} failed, ${pending} pending (submitted ${detail.submitted_at}${settled}${retry})`,
    table(
      detail.visits.map((visit) => ({
        store_id: visit.store_id,
        visit_time: visit.visit_time,
        ...visit.images,
      })),
      ['store_id', 'visit_time', 'total', 'succeeded', 'failed', 'pending'],
    ),
  ];
}
