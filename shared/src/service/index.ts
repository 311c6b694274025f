/** A service's life: start, readiness and health, stop on a signal. */
export * from './healthServer';
export * from './readiness';
export * from './runService';
