/**
 * The job-status read model in one place: its documents, its pure fold, the notice the
 * projection sends when jobs settle, and its reads. The projection's writer
 * (services/projection/src/jobStatus/model.ts) and the status API's answers
 * (services/status-api/src/jobStatus/query.ts) are the I/O at either end.
 */
export * from './documents';
export * from './evolve';
export * from './reader';
export * from './settledNotice';
