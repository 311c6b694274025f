import { useEffect, useState } from 'preact/hooks';
import { describeError, getJson } from '../api';
import { formatCount } from '../format';
import { useApiKey } from '../hooks';
import { groupFailures, type FailureGroup } from '../model';
import type { JobImage, JobImagesPageBody } from '../types';
import { StatusBadge } from './ProgressBar';

const PAGE = 50;
/** Pages of 1000 read at most to group a job's failures: 20,000 images. */
const MAX_FAILURE_PAGES = 20;

const imagesPath = (jobId: number, limit: number, cursor: string | undefined) =>
  `/api/jobs/${jobId}/images?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

/** One page of a job's images, in submission order, read again as the job's counts move. */
export function ImagesTable({ jobId, settled }: { jobId: number; settled: number }) {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<JobImagesPageBody | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const cursor = cursors.at(-1);
  const { value: key } = useApiKey();
  useEffect(() => {
    const controller = new AbortController();
    // A burst of progress events reads the page once.
    const timer = setTimeout(() => {
      getJson<JobImagesPageBody>(imagesPath(jobId, PAGE, cursor), controller.signal).then(
        (answer) => {
          setPage(answer);
          setError(undefined);
        },
        (failure: unknown) => !controller.signal.aborted && setError(describeError(failure)),
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [jobId, cursor, settled, key]);
  const first = (cursors.length - 1) * PAGE;
  return (
    <section class="card" aria-labelledby="images-title">
      <header class="card-header">
        <h2 id="images-title">Images</h2>
        <div class="pager">
          <button
            class="button button-small"
            disabled={cursors.length === 1}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            ← Previous
          </button>
          <span class="muted">{page ? `${first + 1}–${first + page.images.length}` : '…'}</span>
          <button
            class="button button-small"
            disabled={!page?.next_cursor}
            onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}
          >
            Next →
          </button>
        </div>
      </header>
      {error && <p class="notice notice-bad">{error}</p>}
      {page && (
        <table class="table images-table">
          <thead>
            <tr>
              <th class="num">#</th>
              <th class="wide">URL</th>
              <th>Store</th>
              <th>Status</th>
              <th class="num">Size</th>
              <th class="num">Perimeter</th>
              <th class="num">Attempts</th>
              <th class="wide">Error</th>
            </tr>
          </thead>
          <tbody>
            {page.images.map((image, index) => (
              <tr key={first + index} data-status={image.status}>
                <td class="num muted">{first + index + 1}</td>
                <td class="wide url" title={image.url}>
                  {image.url}
                </td>
                <td class="mono">{image.store_id}</td>
                <td>
                  <StatusBadge status={image.status} />
                </td>
                <td class="num">
                  {image.width !== null && image.height !== null ? `${image.width}×${image.height}` : '–'}
                </td>
                <td class="num">{image.perimeter !== null ? formatCount(image.perimeter) : '–'}</td>
                <td class="num">{image.attempts}</td>
                <td class="wide reason">{image.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A job's failures by reason, read whole (every page of its images) whenever its failed count grows. */
export function FailureGroups({ jobId, failed }: { jobId: number; failed: number }) {
  const [groups, setGroups] = useState<{ groups: FailureGroup[]; partial: boolean } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const { value: key } = useApiKey();
  useEffect(() => {
    if (failed === 0) return;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const images: JobImage[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await getJson<JobImagesPageBody>(imagesPath(jobId, 1000, cursor), controller.signal);
          images.push(...page.images);
          cursor = page.next_cursor ?? undefined;
        } while (cursor && ++pages < MAX_FAILURE_PAGES);
        setGroups({ groups: groupFailures(images), partial: cursor !== undefined });
        setError(undefined);
      } catch (failure) {
        if (!controller.signal.aborted) setError(describeError(failure));
      }
    }, 500);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [jobId, failed, key]);
  if (failed === 0) return null;
  return (
    <section class="card" aria-labelledby="failures-title">
      <header class="card-header">
        <h2 id="failures-title">Failures by reason</h2>
        <span class="pill pill-bad">{failed} failed</span>
      </header>
      {error && <p class="notice notice-bad">{error}</p>}
      {groups && (
        <table class="table failures-table">
          <thead>
            <tr>
              <th class="wide">Reason</th>
              <th class="num">Images</th>
              <th>Stores</th>
              <th class="wide">Example</th>
            </tr>
          </thead>
          <tbody>
            {groups.groups.map((group) => (
              <tr key={group.reason}>
                <td class="wide reason">{group.reason}</td>
                <td class="num">{group.count}</td>
                <td class="mono">
                  {group.stores.slice(0, 3).join(', ') +
                    (group.stores.length > 3 ? ` +${group.stores.length - 3}` : '')}
                </td>
                <td class="wide reason muted" title={group.example.error}>
                  {group.example.error}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {groups?.partial && <p class="muted">Grouped from the first {MAX_FAILURE_PAGES * 1000} images.</p>}
    </section>
  );
}
