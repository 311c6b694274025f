import type { Logger } from '@retail-pulse/shared/config';
import type { SettledJob } from '../readModel';

/**
 * One info line per settled job, for an operator following the log: which job, how many images,
 * how many failed, and the seconds from its submission to the moment its status turned final.
 */
export function logSettledJobs(logger: Logger, jobs: SettledJob[], now = Date.now()): void {
  for (const job of jobs) {
    const seconds = job.submittedAt === null ? null : Math.round(now - Date.parse(job.submittedAt)) / 1000;
    logger.info(
      { jobId: job.jobId, status: job.status, images: job.totalImages, failed: job.failedImages, seconds },
      'job settled',
    );
  }
}
