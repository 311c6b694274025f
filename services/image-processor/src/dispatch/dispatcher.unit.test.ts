import type { JobSubmitted } from '@retail-pulse/shared/contracts';
import { imageRequestsOf } from './dispatcher';

const job: JobSubmitted = {
  eventId: 'ev-1',
  type: 'JobSubmitted',
  version: 1,
  metadata: { correlationId: '9', occurredAt: '2024-01-21T00:00:00.000Z' },
  data: {
    jobId: 9,
    imageCount: 3,
    visits: [
      { storeId: 'S1', visitTime: '2024-01-21T10:00:00Z', imageUrls: ['http://x/a', 'http://x/b'] },
      { storeId: 'S2', visitTime: '2024-01-22T10:00:00Z', imageUrls: ['http://x/c'] },
    ],
  },
};

describe('imageRequestsOf', () => {
  it('requests every image once, with ids fixed by its place in the job', () => {
    const requests = imageRequestsOf(job);
    expect(
      requests.map((request) => [request.data.imageId, request.data.storeId, request.data.url, request.data.attempt]),
    ).toEqual([
      ['9:0:0', 'S1', 'http://x/a', 1],
      ['9:0:1', 'S1', 'http://x/b', 1],
      ['9:1:0', 'S2', 'http://x/c', 1],
    ]);
    expect(
      requests.every((request) => request.metadata.correlationId === '9' && request.metadata.causationId === 'ev-1'),
    ).toBe(true);
    // The job's submission time travels with each request (settledJobs.ts says why).
    expect(requests.map((request) => request.data.jobSubmittedAt)).toEqual(Array(3).fill('2024-01-21T00:00:00.000Z'));
  });

  it('gives the same ids when a job is fanned out twice', () => {
    expect(imageRequestsOf(job).map((r) => r.data.imageId)).toEqual(imageRequestsOf(job).map((r) => r.data.imageId));
  });
});
