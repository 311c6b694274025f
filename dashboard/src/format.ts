/** How the page writes numbers, times and durations. Pure. */

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export const formatCount = (value: number): string => integer.format(value);
export const formatRate = (value: number): string => (value >= 10 ? integer.format(value) : decimal.format(value));

/** Seconds as a latency: `850 ms`, `2.4 s`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 1) return `${integer.format(seconds * 1000)} ms`;
  return `${decimal.format(seconds)} s`;
}

/** A duration between two times: `0.6 s`, `3 min 12 s`, `1 h 4 min`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${decimal.format(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** How long ago, from `now`: `just now`, `12 s ago`, `5 min ago`, `3 h ago`, then the date. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '–';
  const ms = now - Date.parse(iso);
  if (ms < 5_000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return formatTime(iso);
}

/** A time as people here read it: `2026-12-01 22:18:35`, in the browser's time zone. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}
