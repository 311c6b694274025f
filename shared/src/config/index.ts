/** Configuration from the environment, the logger, and the redaction of secrets. */
export * from './config';
export * from './logger';
export * from './redact';
