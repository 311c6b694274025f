/** The read models: each one's documents, fold and reads; their generations; the projection's bookkeeping. */
export * from './generations';
export * from './jobs';
export * from './jobStatus';
export * from './projectionState';
export * from './served';
export * from './visits';
