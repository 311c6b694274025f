/** A service's life: start, health, stop on a signal. */
export * from './healthServer';
export * from './runService';
