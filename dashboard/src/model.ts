/** What the page makes of the API's answers, apart from how it draws them. Pure. */
import type { JobImage, JobSummary, RedriveResultBody } from './types';

/** How many jobs the list keeps: the feed's newest page. */
const KEPT = 100;

/** `jobs` with `changed` merged in by job id, newest first, the newest `KEPT`. */
export function mergeJobs(jobs: readonly JobSummary[], changed: readonly JobSummary[]): JobSummary[] {
  const byId = new Map(jobs.map((job) => [job.job_id, job]));
  for (const job of changed) byId.set(job.job_id, job);
  return [...byId.values()].sort((a, b) => b.job_id - a.job_id).slice(0, KEPT);
}

/**
 * A failure reason with its URL taken out, so failures of many images group by what went wrong:
 * `HTTP 404 fetching http://x/a.jpg` → `HTTP 404 fetching <url>`.
 */
export const reasonGroup = (reason: string): string => reason.replace(/\bhttps?:\/\/\S+/g, '<url>');

export interface FailureGroup {
  reason: string;
  count: number;
  stores: string[];
  example: JobImage;
}

/** The failed images of a job grouped by what went wrong (the reason with its URL taken out), most first. */
export function groupFailures(images: readonly JobImage[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const image of images) {
    // A cancelled image counts among a job's failures, with `cancelled` as its reason.
    if (image.status !== 'failed' && image.status !== 'cancelled') continue;
    const reason = reasonGroup(image.error ?? 'no reason recorded');
    const group = groups.get(reason) ?? { reason, count: 0, stores: [], example: image };
    group.count++;
    if (!group.stores.includes(image.store_id)) group.stores.push(image.store_id);
    groups.set(reason, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/** What a re-drive did, in one sentence. */
export function describeRedrive(result: RedriveResultBody): string {
  const { no_source_queue: noSource, other_queue: otherQueue, redrive_limit: limit } = result.kept;
  const why = [
    limit > 0 && `${limit} re-driven too often already`,
    noSource > 0 && `${noSource} with no known source queue`,
    otherQueue > 0 && `${otherQueue} from other queues`,
  ].filter(Boolean);
  const kept = noSource + otherQueue + limit;
  return (
    `Re-drove ${result.redriven} of ${result.found} dead letter${result.found === 1 ? '' : 's'}` +
    (kept > 0 ? `; kept ${kept}: ${why.join(', ')}` : '') +
    '.'
  );
}
