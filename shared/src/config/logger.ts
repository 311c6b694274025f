import pino from 'pino';
import { redactSecrets } from './redact';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout (or `destination`); `npm start` renders them readably with a service
 * prefix. Every line is redacted as it is written, whatever field or message holds a URL, so no
 * credential reaches a log however the line was put together.
 */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    hooks: { streamWrite: redactSecrets },
  };
  return destination ? pino(options, destination) : pino(options);
}
