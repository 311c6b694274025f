/** Koa: the HTTP server, the one error path and the health endpoints. */
export * from './errors';
export * from './health';
export * from './server';
