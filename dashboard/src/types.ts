/** The API's answers as the page reads them: the types of the zod schemas the services answer with. */
import type {
  DeadLettersBody,
  JobDetailBody,
  JobImagesPageBody,
  JobsFeedEventBody,
  PipelineBody,
  ReadModelsBody,
  RedriveResultBody,
  StoreMasterBody,
} from '@retail-pulse/shared/contracts/api';

export type {
  DeadLettersBody,
  JobDetailBody,
  JobImagesPageBody,
  PipelineBody,
  ReadModelsBody,
  RedriveResultBody,
  StoreMasterBody,
};
export type JobSummary = JobsFeedEventBody['jobs'][number];
export type JobImage = JobImagesPageBody['images'][number];
export type DeadLetter = DeadLettersBody['letters'][number];

/** `POST /api/jobs/{job_id}/retry`: the new job that retries the failed one's images. */
export interface RetryAnswer {
  job_id: number;
  retry_of: number;
}
