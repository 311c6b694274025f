/** The pure contracts between services: events, commands, ids, notices. No I/O, zod only. */
export * from './events';
export * from './ids';
export * from './projectionMessages';
export * from './readModels';
