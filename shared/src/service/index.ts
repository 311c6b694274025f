/** A service's life: start, readiness and health, metrics, stop on a signal. */
export * from './healthServer';
export * from './metrics';
export * from './readiness';
export * from './runService';
