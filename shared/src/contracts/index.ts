/** The pure contracts between services: events, commands, ids, notices, what client input may hold. No I/O, zod only. */
export * from './events';
export * from './eventStream';
export * from './identifiers';
export * from './batches';
export * from './ids';
export * from './projectionMessages';
export * from './readModels';
export * from './storeMasterNotice';
export * from './text';
export * from './webhooks';
export * from './api/jobs';
