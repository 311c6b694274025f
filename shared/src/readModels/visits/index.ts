/**
 * The visits read model in one place: its buckets (per store and day, per area and day), their
 * pure changes from events, and their grouping into store visits. The projection's writer
 * (services/projection/src/visits/model.ts) and the status API's answer
 * (services/status-api/src/visits/query.ts) are the I/O at either end.
 */
export * from './buckets';
export * from './cancellations';
export * from './group';
export * from './reader';
