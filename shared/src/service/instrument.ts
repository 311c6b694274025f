/**
 * Imported first by every composition root, before anything it instruments (koa, amqplib,
 * mongodb, undici, node:http) is loaded: starts tracing when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
 */
import { startTracing } from './tracing';

startTracing(process.env, process.argv[1]);
