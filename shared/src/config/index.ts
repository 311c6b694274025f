/** Configuration from the environment, and the logger. */
export * from './config';
export * from './logger';
