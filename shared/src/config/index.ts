/** Configuration from the environment, the logger, the redaction of secrets, what a command acts on. */
export * from './actingOn';
export * from './config';
export * from './logger';
export * from './redact';
