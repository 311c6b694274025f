interface Counts {
  total: number;
  succeeded: number;
  failed: number;
  pending: number;
}

/** A job's images as one bar: succeeded (green), failed (red), the rest still pending. */
export function ProgressBar({ images, large = false }: { images: Counts; large?: boolean }) {
  const share = (count: number) => `${images.total > 0 ? (count / images.total) * 100 : 0}%`;
  const settled = images.succeeded + images.failed;
  return (
    <div
      class={large ? 'progress progress-large' : 'progress'}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={images.total}
      aria-valuenow={settled}
      aria-label={`${settled} of ${images.total} images settled`}
    >
      <div class="progress-track">
        <span class="progress-succeeded" style={{ width: share(images.succeeded) }} />
        <span class="progress-failed" style={{ width: share(images.failed) }} />
      </div>
      <span class="progress-label">
        {settled}/{images.total}
      </span>
    </div>
  );
}

/** A job's (or an image's) status as a coloured word. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}
