/**
 * The jobs read model in one place: its documents (a job's detail, its images in pages, the
 * listing blocks), its pure fold, its cursors and its reads. The projection's writer
 * (services/projection/src/jobs/model.ts) and the status API's answers
 * (services/status-api/src/jobs/query.ts) are the I/O at either end.
 */
export * from './cursors';
export * from './detail';
export * from './documents';
export * from './evolve';
export * from './reader';
