import { useState } from 'preact/hooks';
import { describeError, postJson } from '../api';

/** A job of the sample stores every new installation has, for a first try. */
const EXAMPLE = JSON.stringify(
  {
    count: 1,
    visits: [
      {
        store_id: 'S00339218',
        image_url: ['https://images.example/shelf.jpg'],
        visit_time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    ],
  },
  null,
  2,
);

/** `POST /api/submit` from the page: a job body, sent under a new Idempotency-Key. */
export function SubmitJob({ onClose }: { onClose: () => void }) {
  const [body, setBody] = useState(EXAMPLE);
  const [outcome, setOutcome] = useState<{ tone: 'good' | 'bad'; text: string; jobId?: number } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      setOutcome({ tone: 'bad', text: 'The body is not valid JSON.' });
      return;
    }
    setBusy(true);
    try {
      const { job_id: jobId } = await postJson<{ job_id: number }>('/api/submit', parsed, {
        'idempotency-key': crypto.randomUUID(),
      });
      setOutcome({ tone: 'good', text: `Job ${jobId} accepted.`, jobId });
    } catch (error) {
      setOutcome({ tone: 'bad', text: describeError(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card submit-card" aria-labelledby="submit-title">
      <header class="card-header">
        <h2 id="submit-title">New job</h2>
        <button class="button button-quiet" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <form onSubmit={(event) => void submit(event)}>
        <label for="job-body" class="label">
          Body of <code>POST /api/submit</code>
        </label>
        <textarea
          id="job-body"
          class="code-input"
          rows={12}
          spellcheck={false}
          value={body}
          onInput={(event) => setBody(event.currentTarget.value)}
        />
        <div class="form-row">
          <button type="submit" class="button button-primary" disabled={busy}>
            Submit job
          </button>
          {outcome && (
            <span class={`notice-inline notice-${outcome.tone}`} role="status">
              {outcome.text} {outcome.jobId !== undefined && <a href={`#/jobs/${outcome.jobId}`}>Open it</a>}
            </span>
          )}
        </div>
      </form>
    </section>
  );
}
