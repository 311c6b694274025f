import { useEffect, useState } from 'preact/hooks';
import { followEvents, type StreamState } from './stream';
import { mergeJobs } from './model';
import type { JobSummary } from './types';

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
