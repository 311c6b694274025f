/**
 * The visits read model in one place: its documents, its pure fold (one record per settled
 * image) and its grouping into store visits. The projection's writer
 * (services/projection/src/visits/model.ts) and the status API's answer
 * (services/status-api/src/visits/query.ts) are the I/O at either end.
 */
export * from './buckets';
export * from './cancellations';
export * from './documents';
export * from './group';
export * from './imageRecord';
export * from './reader';
