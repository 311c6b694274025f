/** Koa: the HTTP server, the one error path and the health endpoints. */
export * from './errors';
export * from './health';
export * from './internalToken';
export * from './metrics';
export * from './requestBody';
export * from './securityHeaders';
export * from './server';
