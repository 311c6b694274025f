import { KoaLayerType, KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** Requests that say nothing about the work: probes and scrapes, every few seconds. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * The OpenTelemetry SDK of one service: traces only (metrics are Prometheus's, logs are stdout's),
 * exported with OTLP as the standard `OTEL_*` variables say (endpoint, protocol, headers, batch
 * delay), context carried in W3C `traceparent` headers over HTTP and AMQP alike.
 */
export function createTracingSdk(serviceName: string | undefined): NodeSDK {
  return new NodeSDK({
    ...(serviceName ? { serviceName } : {}),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.test(request.url ?? ''),
        // The services' own outgoing HTTP goes through undici, traced below.
        disableOutgoingRequestInstrumentation: true,
      }),
      // Router spans name the route; a span per middleware would bury them.
      new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
      new UndiciInstrumentation(),
      new AmqplibInstrumentation(),
      // Commands outside a traced operation (start-up checks, background polls) would each be a
      // trace of their own. Statements are not recorded: documents hold clients' URLs.
      new MongoDBInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
}
