import { useEffect, useState } from 'preact/hooks';
import { describeError, postCommand } from '../api';
import { formatAgo, formatDuration, formatTime } from '../format';
import { useNow } from '../hooks';
import { followEvents, type StreamState } from '../stream';
import type { CancelResponse, JobDetailBody, RetryResponse } from '../types';
import { FailureGroups, ImagesTable } from './JobImages';
import { LiveIndicator } from './JobsTable';
import { ProgressBar, StatusBadge } from './ProgressBar';

/** A job's detail, kept current by its own event stream (`GET /api/jobs/{id}/events`) until it settles. */
function useJob(jobId: number): { job: JobDetailBody | undefined; state: StreamState; refused: string | undefined } {
  const [job, setJob] = useState<JobDetailBody | undefined>(undefined);
  const [state, setState] = useState<StreamState>('connecting');
  const [refused, setRefused] = useState<string | undefined>(undefined);
  useEffect(() => {
    setJob(undefined);
    setRefused(undefined);
    let latest: JobDetailBody | undefined;
    return followEvents(`/api/jobs/${jobId}/events`, {
      onEvent: (data) => {
        latest = JSON.parse(data) as JobDetailBody;
        setJob(latest);
      },
      onState: setState,
      // The stream ends once the job settled; ended before that (a restart), it is opened again.
      reconnect: () => latest === undefined || latest.status === 'ongoing',
      onRefused: (_status, message) => setRefused(message),
    });
  }, [jobId]);
  return { job, state, refused };
}

type Outcome = { tone: 'good' | 'bad'; text: string };

/** Cancel (an ongoing job) and retry (a failed one), as the client API offers them. */
function JobActions({ job }: { job: JobDetailBody }) {
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const act = async (action: 'cancel' | 'retry') => {
    setBusy(true);
    try {
      if (action === 'retry') {
        // One key per click: a retried request (a timeout, a double click) answers the same new job.
        const { job_id: retried } = await postCommand<RetryResponse>(`/api/jobs/${job.job_id}/retry`, {
          'idempotency-key': crypto.randomUUID(),
        });
        setOutcome({ tone: 'good', text: `Retrying as job ${retried}.` });
        location.hash = `#/jobs/${retried}`;
      } else {
        await postCommand<CancelResponse>(`/api/jobs/${job.job_id}/cancel`);
        setOutcome({ tone: 'good', text: 'Cancellation recorded: images not processed yet will not be.' });
      }
    } catch (error) {
      setOutcome({ tone: 'bad', text: `Could not ${action} the job: ${describeError(error)}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="actions">
      {job.status === 'ongoing' && (
        <button class="button button-danger" disabled={busy} onClick={() => void act('cancel')}>
          Cancel job
        </button>
      )}
      {job.status === 'failed' && (
        <button class="button button-primary" disabled={busy} onClick={() => void act('retry')}>
          Retry failed job
        </button>
      )}
      {outcome && (
        <span class={`notice-inline notice-${outcome.tone}`} role="status">
          {outcome.text}
        </span>
      )}
    </div>
  );
}

export function JobPage({ jobId }: { jobId: number }) {
  const { job, state, refused } = useJob(jobId);
  const now = useNow(1_000);
  return (
    <main class="page">
      <nav class="breadcrumb">
        <a href="#/">← All jobs</a>
      </nav>
      {refused && <p class="notice notice-bad">{refused}</p>}
      {!job && !refused && <p class="empty">Loading job {jobId}…</p>}
      {job && (
        <>
          <section class="card job-header" aria-labelledby="job-title">
            <header class="card-header">
              <h1 id="job-title">Job {job.job_id}</h1>
              <StatusBadge status={job.status} />
              {job.status === 'ongoing' && <LiveIndicator state={state} />}
              <JobActions job={job} />
            </header>
            <ProgressBar images={job.images} large />
            <dl class="facts facts-row">
              <dt>Images</dt>
              <dd>{job.images.total}</dd>
              <dt>Succeeded</dt>
              <dd class="good">{job.images.succeeded}</dd>
              <dt>Failed</dt>
              <dd class={job.images.failed > 0 ? 'bad' : ''}>{job.images.failed}</dd>
              <dt>Pending</dt>
              <dd>{job.images.pending}</dd>
              <dt>Submitted</dt>
              <dd title={formatTime(job.submitted_at)}>{formatAgo(job.submitted_at, now)}</dd>
              {job.retry_of !== undefined && (
                <>
                  <dt>Retry of</dt>
                  <dd>
                    <a href={`#/jobs/${job.retry_of}`}>job {job.retry_of}</a>
                  </dd>
                </>
              )}
              {job.cancelled_at !== undefined && (
                <>
                  <dt>Cancelled</dt>
                  <dd title={formatTime(job.cancelled_at)}>{formatAgo(job.cancelled_at, now)}</dd>
                </>
              )}
              <dt>{job.settled_at ? 'Took' : 'Running for'}</dt>
              <dd title={job.settled_at ? formatTime(job.settled_at) : ''}>
                {formatDuration((job.settled_at ? Date.parse(job.settled_at) : now) - Date.parse(job.submitted_at))}
              </dd>
            </dl>
          </section>
          <FailureGroups jobId={job.job_id} failed={job.images.failed} />
          <section class="card" aria-labelledby="visits-title">
            <header class="card-header">
              <h2 id="visits-title">Visits</h2>
              <span class="muted">{job.visits.length}</span>
            </header>
            <table class="table">
              <thead>
                <tr>
                  <th>Store</th>
                  <th>Visit time</th>
                  <th class="wide">Images</th>
                  <th class="num">Failed</th>
                </tr>
              </thead>
              <tbody>
                {job.visits.map((visit, index) => (
                  <tr key={index}>
                    <td class="mono">{visit.store_id}</td>
                    <td>{formatTime(visit.visit_time)}</td>
                    <td class="wide">
                      <ProgressBar images={visit.images} />
                    </td>
                    <td class={visit.images.failed > 0 ? 'num bad' : 'num'}>{visit.images.failed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <ImagesTable jobId={job.job_id} settled={job.images.succeeded + job.images.failed} />
        </>
      )}
    </main>
  );
}
