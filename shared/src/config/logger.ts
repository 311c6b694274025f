import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { redactSecrets } from './redact';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout (or `destination`); `npm start` renders them readably with a service
 * prefix. Every line is redacted as it is written, whatever field or message holds a URL, so no
 * credential reaches a log however the line was put together. A line written inside a traced
 * operation carries its `trace_id` and `span_id`, so a trace viewer's id finds its log lines.
 */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    hooks: { streamWrite: redactSecrets },
    mixin: traceFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The active span's ids; none when tracing is off (the API's no-op context has no span). */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
