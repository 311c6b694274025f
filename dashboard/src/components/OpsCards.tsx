import { formatAgo, formatCount, formatTime } from '../format';
import { useNow, type Polled } from '../hooks';
import type { ReadModelsBody, StoreMasterBody } from '../types';

/** The store master every check uses now: its size and when it was imported. */
export function StoreMasterCard({ storeMaster }: { storeMaster: Polled<StoreMasterBody> }) {
  const now = useNow();
  const body = storeMaster.data;
  return (
    <section class="card" aria-labelledby="store-master-title">
      <header class="card-header">
        <h2 id="store-master-title">Store master</h2>
        {body && <span class="pill">version {body.version}</span>}
      </header>
      {storeMaster.error && <p class="notice notice-bad">{storeMaster.error}</p>}
      {body && (
        <dl class="facts">
          <dt>Stores</dt>
          <dd data-testid="store-count">{formatCount(body.stores)}</dd>
          <dt>Areas</dt>
          <dd>{formatCount(body.areas)}</dd>
          <dt>Last import</dt>
          <dd title={formatTime(body.imported_at)}>
            {body.version === 0 ? 'never' : formatAgo(body.imported_at, now)}
          </dd>
          <dt>Source</dt>
          <dd class="mono">{body.source ?? '–'}</dd>
        </dl>
      )}
    </section>
  );
}

const MODEL_NAMES: Record<string, string> = { jobStatus: 'job status', visits: 'visits', jobs: 'jobs' };

/** The generations served, how far each has folded the log, and the last replay's progress. */
export function ReadModelsCard({ readModels }: { readModels: Polled<ReadModelsBody> }) {
  const now = useNow();
  const body = readModels.data;
  const served = body ? Object.entries(body.served) : [];
  const checkpointOf = (model: string, generation: number) =>
    body?.generations.find((entry) => entry.generation === generation)?.models.find((entry) => entry.model === model)
      ?.checkpoint;
  const replay = body?.replay;
  const stale = replay?.status === 'running' && now - Date.parse(replay.updated_at) > 30_000;
  return (
    <section class="card" aria-labelledby="read-models-title">
      <header class="card-header">
        <h2 id="read-models-title">Read models</h2>
        {body && <span class="pill">log at {formatCount(body.log_position)}</span>}
      </header>
      {readModels.error && <p class="notice notice-bad">{readModels.error}</p>}
      {body && (
        <>
          <table class="table compact">
            <thead>
              <tr>
                <th>Model</th>
                <th class="num">Generation</th>
                <th class="num">Folded to</th>
                <th class="num">Behind</th>
              </tr>
            </thead>
            <tbody>
              {served.map(([model, generation]) => {
                const checkpoint = checkpointOf(model, generation);
                const behind = checkpoint === undefined ? undefined : Math.max(body.log_position - checkpoint, 0);
                return (
                  <tr key={model}>
                    <td>{MODEL_NAMES[model] ?? model}</td>
                    <td class="num">{generation}</td>
                    <td class="num">{checkpoint === undefined ? '–' : formatCount(checkpoint)}</td>
                    <td class={behind ? 'num warn' : 'num'}>{behind === undefined ? '–' : formatCount(behind)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="muted">
            {body.switched_at ? `Switched ${formatAgo(body.switched_at, now)}` : 'Never switched'} ·{' '}
            {body.generations.length} generation{body.generations.length === 1 ? '' : 's'} kept
          </p>
          <div class="replay" data-testid="replay">
            <h3>Last replay</h3>
            {!replay ? (
              <p class="empty">None recorded (npm run replay).</p>
            ) : (
              <>
                <p>
                  <span class={`badge badge-${stale ? 'stalled' : replay.status}`}>
                    {stale ? 'stalled' : replay.status}
                  </span>{' '}
                  generation {replay.generation} of{' '}
                  {replay.models.map((model) => MODEL_NAMES[model] ?? model).join(', ')}
                </p>
                <div class="progress">
                  <div class="progress-track">
                    <span
                      class="progress-succeeded"
                      style={{
                        width: `${replay.total > 0 ? Math.min(100, (replay.events / replay.total) * 100) : 100}%`,
                      }}
                    />
                  </div>
                  <span class="progress-label">
                    {formatCount(replay.events)}/{formatCount(replay.total)}
                  </span>
                </div>
                <p class="muted">
                  started {formatAgo(replay.started_at, now)}
                  {replay.finished_at ? `, finished ${formatAgo(replay.finished_at, now)}` : ''}
                  {replay.error ? ` — ${replay.error}` : ''}
                </p>
              </>
            )}
          </div>
        </>
      )}
    </section>
  );
}
