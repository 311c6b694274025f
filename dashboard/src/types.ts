/** The API's answers as the page reads them: the types of the zod schemas the services answer with. */
import type {
  CancelResponse,
  DeadLettersBody,
  JobDetailBody,
  JobImagesPageBody,
  JobsFeedEventBody,
  PipelineBody,
  ReadModelsBody,
  RedriveResultBody,
  RetryResponse,
  StoreMasterBody,
} from '@retail-pulse/shared/contracts/api';

export type {
  CancelResponse,
  DeadLettersBody,
  JobDetailBody,
  JobImagesPageBody,
  PipelineBody,
  ReadModelsBody,
  RedriveResultBody,
  RetryResponse,
  StoreMasterBody,
};
export type JobSummary = JobsFeedEventBody['jobs'][number];
export type JobImage = JobImagesPageBody['images'][number];
export type DeadLetter = DeadLettersBody['letters'][number];
