/** Koa: the HTTP server and the one error path. */
export * from './errors';
export * from './internalToken';
export * from './requestBody';
export * from './securityHeaders';
export * from './server';
