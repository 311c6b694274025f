import { useState } from 'preact/hooks';
import { getJson } from '../api';
import { formatCount, formatRate } from '../format';
import { usePolled } from '../hooks';
import { useJobsFeed } from '../jobsFeed';
import type { DeadLettersBody, PipelineBody, ReadModelsBody, StoreMasterBody } from '../types';
import { DeadLetters } from './DeadLetters';
import { JobsTable } from './JobsTable';
import { ReadModelsCard, StoreMasterCard } from './OpsCards';
import { PipelineCharts } from './PipelineCharts';
import { SubmitJob } from './SubmitJob';

function Tile({ label, value, tone = '', hint }: { label: string; value: string; tone?: string; hint?: string }) {
  return (
    <div class={`tile ${tone}`} title={hint}>
      <span class="tile-value">{value}</span>
      <span class="tile-label">{label}</span>
    </div>
  );
}

/** The operator's overview: the live job list, the pipeline, dead letters, store master and read models. */
export function Overview() {
  const { jobs, state } = useJobsFeed();
  const [submitting, setSubmitting] = useState(false);
  // Each read at the pace its data changes; none while the tab is hidden (usePolled).
  const pipeline = usePolled((signal) => getJson<PipelineBody>('/api/ops/pipeline', signal), 5_000);
  const deadLetters = usePolled((signal) => getJson<DeadLettersBody>('/api/ops/dead-letters?limit=50', signal), 10_000);
  const storeMaster = usePolled((signal) => getJson<StoreMasterBody>('/api/ops/store-master', signal), 30_000);
  const readModels = usePolled((signal) => getJson<ReadModelsBody>('/api/ops/read-models', signal), 5_000);

  const last = pipeline.data?.samples.at(-1);
  const imageQueue = pipeline.data?.queues.find((queue) => queue.name.endsWith('.image-requests'));
  const ongoing = (jobs ?? []).filter((job) => job.status === 'ongoing').length;
  const dead = deadLetters.data?.count;
  return (
    <main class="page">
      <div class="tiles">
        <Tile label="jobs ongoing" value={jobs ? formatCount(ongoing) : '…'} />
        <Tile
          label="images / s"
          value={last ? formatRate(last.images_per_second.succeeded + last.images_per_second.failed) : '…'}
          hint="settled in the last sample, succeeded and failed"
        />
        <Tile
          label="images waiting"
          value={imageQueue ? formatCount(imageQueue.ready) : '…'}
          hint={imageQueue ? `${imageQueue.name}: ${imageQueue.consumers} consumer(s)` : undefined}
        />
        <Tile
          label="projection lag"
          value={
            last?.projection_lag_events !== undefined && last.projection_lag_events !== null
              ? formatCount(last.projection_lag_events)
              : '…'
          }
          hint="events received and not folded yet"
        />
        <Tile label="dead letters" value={dead === undefined ? '…' : formatCount(dead)} tone={dead ? 'tile-bad' : ''} />
        <button class="button button-primary tile-action" onClick={() => setSubmitting(!submitting)}>
          {submitting ? 'Close' : 'New job'}
        </button>
      </div>
      {submitting && <SubmitJob onClose={() => setSubmitting(false)} />}
      <div class="columns">
        <JobsTable jobs={jobs} state={state} />
        <div class="side">
          <StoreMasterCard storeMaster={storeMaster} />
          <ReadModelsCard readModels={readModels} />
        </div>
      </div>
      <PipelineCharts pipeline={pipeline.data} error={pipeline.error} />
      <DeadLetters letters={deadLetters} />
    </main>
  );
}
