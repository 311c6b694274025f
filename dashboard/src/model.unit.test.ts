/// <reference types="jest" />
import { describeRedrive, groupFailures, mergeJobs, reasonGroup } from './model';
import type { JobImage, JobSummary } from './types';

const job = (jobId: number, succeeded: number): JobSummary => ({
  job_id: jobId,
  status: succeeded === 2 ? 'completed' : 'ongoing',
  images: { total: 2, succeeded, failed: 0, pending: 2 - succeeded },
  submitted_at: '2026-12-01T10:00:00.000Z',
});

const image = (storeId: string, status: JobImage['status'], error?: string): JobImage => ({
  url: 'http://x/a.jpg',
  store_id: storeId,
  visit_time: '2026-12-01T10:00:00.000Z',
  status,
  width: null,
  height: null,
  perimeter: null,
  ...(error ? { error } : {}),
  attempts: 1,
});

describe('the live list', () => {
  it('merges changed jobs in by id, newest first, and keeps the newest hundred', () => {
    expect(mergeJobs([job(2, 0), job(1, 2)], [job(3, 0), job(2, 1)])).toEqual([job(3, 0), job(2, 1), job(1, 2)]);
    const many = Array.from({ length: 100 }, (_, index) => job(index + 1, 2));
    expect(mergeJobs(many, [job(101, 0)]).map((entry) => entry.job_id)).toEqual(
      Array.from({ length: 100 }, (_, index) => 101 - index),
    );
  });
});

describe("a job's failures", () => {
  it('group by the reason without its URL, most first, with the stores they hit, cancelled ones too', () => {
    expect(reasonGroup('HTTP 404 fetching https://***@x.example/a.jpg?token=*** (after 3 attempts)')).toBe(
      'HTTP 404 fetching <url> (after 3 attempts)',
    );
    const groups = groupFailures([
      image('S1', 'failed', 'HTTP 404 fetching http://x/a.jpg'),
      image('S1', 'succeeded'),
      image('S9', 'failed', 'unknown store_id S9'),
      image('S2', 'failed', 'HTTP 404 fetching http://x/b.jpg'),
      image('S1', 'failed', 'HTTP 404 fetching http://x/c.jpg'),
      image('S2', 'cancelled', 'cancelled'),
    ]);
    expect(groups.map(({ reason, count, stores }) => ({ reason, count, stores }))).toEqual([
      { reason: 'HTTP 404 fetching <url>', count: 3, stores: ['S1', 'S2'] },
      { reason: 'unknown store_id S9', count: 1, stores: ['S9'] },
      { reason: 'cancelled', count: 1, stores: ['S2'] },
    ]);
  });
});

describe('what a re-drive did', () => {
  const kept = { no_source_queue: 0, other_queue: 0, other_message: 0, redrive_limit: 0 };
  it('says how many went back, and why the others stayed', () => {
    expect(describeRedrive({ found: 1, redriven: 1, kept })).toBe('Re-drove 1 of 1 dead letter.');
    expect(describeRedrive({ found: 4, redriven: 1, kept: { ...kept, other_message: 2, redrive_limit: 1 } })).toBe(
      'Re-drove 1 of 4 dead letters; kept 1: 1 re-driven too often already.',
    );
  });
});
