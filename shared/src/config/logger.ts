import pino from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout; `npm start` renders them readably with a service prefix. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}
