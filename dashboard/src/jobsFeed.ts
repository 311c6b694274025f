import { useEffect, useState } from 'preact/hooks';
import { followEvents, type StreamState } from './stream';
import type { JobSummary } from './types';

/** How many jobs the list keeps: the feed's newest page. */
const KEPT = 100;

/** `jobs` with `changed` merged in by job id, newest first. Pure. */
export function mergeJobs(jobs: readonly JobSummary[], changed: readonly JobSummary[]): JobSummary[] {
  const byId = new Map(jobs.map((job) => [job.job_id, job]));
  for (const job of changed) byId.set(job.job_id, job);
  return [...byId.values()].sort((a, b) => b.job_id - a.job_id).slice(0, KEPT);
}

/** The newest jobs, kept current by `GET /api/jobs/events`: no page reloads, no polling of the list. */
export function useJobsFeed(): { jobs: JobSummary[] | undefined; state: StreamState } {
  const [jobs, setJobs] = useState<JobSummary[] | undefined>(undefined);
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(
    () =>
      followEvents('/api/jobs/events', {
        onEvent: (data) => {
          const changed = (JSON.parse(data) as { jobs: JobSummary[] }).jobs;
          setJobs((current) => mergeJobs(current ?? [], changed));
        },
        onState: setState,
        reconnect: () => true,
      }),
    [],
  );
  return { jobs, state };
}
