import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';

/**
 * Traces across messages of many (shared/src/contracts/batches.ts). One message carries parts of
 * many traces (images of many jobs), so it belongs to none: its publish is a trace of its own,
 * linked to every part's, and each part carries its own trace context beside it, which the
 * consumer continues with a span per part. A job's trace so still runs from the submit through
 * each image to the projection, as it does with one message per image.
 */

/** The W3C trace headers of `ctx`, to put beside one part of a message; undefined when nothing is traced. */
export function traceCarrierOf(ctx: Context = context.active()): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/** A link to the span `ctx` holds, if any. */
export function linkTo(ctx: Context = context.active()): Link | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}

/** Runs `work` (the publish of a message of many) in a span of a trace of its own, linked to its parts' spans. */
export function inTraceOfItsOwn<T>(
  tracer: Tracer,
  name: string,
  links: Array<Link | undefined>,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  const kept = links.filter((link): link is Link => link !== undefined);
  return context.with(ROOT_CONTEXT, () =>
    tracer.startActiveSpan(name, { links: kept, attributes }, (span) => work().finally(() => span.end())),
  );
}

/**
 * A span for one part of a delivered message of many, continuing the trace its carrier names (or
 * the delivery's, without one). Undefined when the delivery was not traced: nothing is.
 */
export function startPartSpan(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  carrier: Record<string, string> | undefined,
  delivered: Context,
  attributes: Attributes,
): Span | undefined {
  if (!trace.getSpanContext(delivered)) return undefined;
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : delivered;
  return tracer.startSpan(name, { kind, attributes }, parent);
}

/** Runs `work` with `span` (if any) as the active span, so what it does is in the span's trace. */
export function withSpan<T>(span: Span | undefined, work: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), work) : work();
}
