/**
 * What the bench's phases share: its log line, rounding and percentiles, and its clients' submit
 * of a job (retried while the service is busy) and the jobs they send.
 */
import { PHOTO, type ImageServer } from '../../test/support/imageServer';
import type { ApiClient } from './stack';

export const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 19)} [bench] ${message}`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const round2 = (value: number) => Math.round(value * 100) / 100;

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

export async function submit(api: ApiClient, body: unknown): Promise<{ jobId: number; ms: number }> {
  for (;;) {
    const started = performance.now();
    const response = await api.post('/api/submit', body);
    const ms = performance.now() - started;
    if (response.status === 201) return { jobId: (JSON.parse(response.body) as { job_id: number }).job_id, ms };
    await sleep(200);
  }
}

/** A job of `size` images of the bench's photo, in visits of ~10, each image URL its own (`tag`). */
export function job(images: ImageServer, size: number, tag: string) {
  const visits = Math.max(1, Math.min(size, Math.ceil(size / 10)));
  const stores = ['S00339218', 'S01408764', 'S00000201', 'S00000202'];
  return {
    count: visits,
    visits: Array.from({ length: visits }, (_, visit) => ({
      store_id: stores[visit % stores.length],
      visit_time: new Date(Date.UTC(2024, 0, 1 + (visit % 28), 9)).toISOString(),
      image_url: Array.from(
        { length: Math.floor(size / visits) + (visit < size % visits ? 1 : 0) },
        (_, image) => `${images.url(PHOTO.path)}?${tag}-${visit}-${image}`,
      ),
    })),
  };
}
