/**
 * The jobs `npm run chaos` submits, the same every run (seeded): visits of the sample stores (a few
 * of an unknown store), images the image server serves, some that fail once (a 503, then the
 * image) and some hostile ones; each job with the terminal state it must reach.
 */
import { SERVED_IMAGES } from '../../test/support/imageServer';
import { prng } from '../../test/support/prng';

/** Images that fail however often they are tried: a hang, an endless body, a redirect loop, HTML, a cut-off JPEG, a 404. */
const HOSTILE = [
  '/img/never-answers.jpg',
  '/img/endless.jpg',
  '/img/loop.jpg',
  '/img/page.html',
  '/img/truncated.jpg',
  '/img/gone.jpg',
];
const KNOWN_STORES = ['S00339218', 'S01408764', 'S00000101', 'S00000201', 'S00000202', 'S00000203'];

export interface PlannedJob {
  body: { count: number; visits: Array<{ store_id: string; image_url: string[]; visit_time: string }> };
  images: number;
  expected: 'completed' | 'failed';
}

export function plan(baseUrl: string, { jobs, imagesPerJob }: { jobs: number; imagesPerJob: number }): PlannedJob[] {
  const random = prng(7);
  return Array.from({ length: jobs }, (_, job) => {
    const visitCount = 1 + Math.floor(random() * 3);
    let failing = false;
    const visits = Array.from({ length: visitCount }, (_, visit) => {
      const unknownStore = random() < 0.04;
      failing ||= unknownStore;
      return {
        store_id: unknownStore
          ? `S9${String(job).padStart(7, '0')}`
          : KNOWN_STORES[Math.floor(random() * KNOWN_STORES.length)]!,
        visit_time: new Date(Date.UTC(2024, 0, 1 + Math.floor(random() * 60), 8, visit)).toISOString(),
        image_url: [] as string[],
      };
    });
    for (let image = 0; image < imagesPerJob; image++) {
      const roll = random();
      let path: string;
      if (roll < 0.03) {
        path = HOSTILE[Math.floor(random() * HOSTILE.length)]!;
        failing = true;
      } else if (roll < 0.08)
        path = `/img/flaky-1-${job}-${image}.jpg`; // one 503, then the image
      else path = SERVED_IMAGES[Math.floor(random() * SERVED_IMAGES.length)]!.path;
      visits[image % visitCount]!.image_url.push(`${baseUrl}${path}?job=${job}&image=${image}`);
    }
    return { body: { count: visitCount, visits }, images: imagesPerJob, expected: failing ? 'failed' : 'completed' };
  });
}
