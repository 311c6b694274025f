import { createLogger } from '@retail-pulse/shared/config';
import { logSettledJobs } from './settledLog';

describe('the settled-job line', () => {
  it('says which job, how many images, how many failed and how many seconds since submission', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger('projection', 'info', { write: (line) => lines.push(JSON.parse(line)) });
    const submittedAt = '2024-01-21T10:00:00.000Z';
    const now = Date.parse(submittedAt) + 83_456;
    logSettledJobs(
      logger,
      [
        { jobId: 7, status: 'completed', failures: [], totalImages: 12, failedImages: 0, submittedAt },
        {
          jobId: 8,
          status: 'failed',
          failures: [{ storeId: 'S1', reason: 'HTTP 404' }],
          totalImages: 3,
          failedImages: 1,
          submittedAt,
        },
      ],
      now,
    );
    expect(
      lines.map(({ level, msg, jobId, status, images, failed, seconds }) => ({
        level,
        msg,
        jobId,
        status,
        images,
        failed,
        seconds,
      })),
    ).toEqual([
      { level: 30, msg: 'job settled', jobId: 7, status: 'completed', images: 12, failed: 0, seconds: 83.456 },
      { level: 30, msg: 'job settled', jobId: 8, status: 'failed', images: 3, failed: 1, seconds: 83.456 },
    ]);
  });
});
