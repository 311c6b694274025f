import { useState } from 'preact/hooks';
import { formatAgo } from '../format';
import { useNow } from '../hooks';
import type { StreamState } from '../stream';
import type { JobSummary } from '../types';
import { ProgressBar, StatusBadge } from './ProgressBar';

const FILTERS = ['all', 'ongoing', 'completed', 'failed'] as const;
type Filter = (typeof FILTERS)[number];

const STREAM_STATES: Record<StreamState, { label: string; tone: string }> = {
  connecting: { label: 'connecting…', tone: 'amber' },
  live: { label: 'live', tone: 'green' },
  retrying: { label: 'reconnecting…', tone: 'amber' },
  ended: { label: 'stopped', tone: 'grey' },
};

export function LiveIndicator({ state }: { state: StreamState }) {
  const { label, tone } = STREAM_STATES[state];
  return (
    <span class={`live live-${tone}`} data-state={state}>
      <span class="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** The newest jobs, newest first, each with its progress; a row opens the job's page. */
export function JobsTable({ jobs, state }: { jobs: JobSummary[] | undefined; state: StreamState }) {
  const [filter, setFilter] = useState<Filter>('all');
  const now = useNow();
  const shown = (jobs ?? []).filter((job) => filter === 'all' || job.status === filter);
  const count = (kind: Filter) => (jobs ?? []).filter((job) => kind === 'all' || job.status === kind).length;
  return (
    <section class="card jobs-card" aria-labelledby="jobs-title">
      <header class="card-header">
        <h2 id="jobs-title">Jobs</h2>
        <LiveIndicator state={state} />
        <div class="filters" role="tablist" aria-label="Filter jobs by status">
          {FILTERS.map((kind) => (
            <button
              key={kind}
              role="tab"
              aria-selected={filter === kind}
              class={filter === kind ? 'chip chip-on' : 'chip'}
              onClick={() => setFilter(kind)}
            >
              {kind} <span class="chip-count">{count(kind)}</span>
            </button>
          ))}
        </div>
      </header>
      {jobs === undefined ? (
        <p class="empty">Loading jobs…</p>
      ) : shown.length === 0 ? (
        <p class="empty">{jobs.length === 0 ? 'No jobs yet: submit one.' : `No ${filter} jobs among the newest.`}</p>
      ) : (
        <table class="table jobs-table">
          <thead>
            <tr>
              <th>Job</th>
              <th>Status</th>
              <th class="wide">Progress</th>
              <th class="num">Failed</th>
              <th>Submitted</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((job) => (
              <tr key={job.job_id} data-job-id={job.job_id} data-status={job.status}>
                <td>
                  <a href={`#/jobs/${job.job_id}`} class="job-link">
                    #{job.job_id}
                  </a>
                </td>
                <td>
                  <StatusBadge status={job.status} />
                </td>
                <td class="wide">
                  <ProgressBar images={job.images} />
                </td>
                <td class={job.images.failed > 0 ? 'num bad' : 'num'}>{job.images.failed}</td>
                <td title={job.submitted_at}>{formatAgo(job.submitted_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
