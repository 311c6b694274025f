import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVED_IMAGES, startImageServer, type ImageServer } from '../support/imageServer';
import { describeStack, startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * Traces on the running stack: every service exports OTLP/HTTP (JSON) to a receiver this test
 * runs, and one submit's trace is followed from the gateway through ingest, the broker, the
 * dispatcher and every image to the projection, each span the child of the one before it.
 */
interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  links: Array<{ traceId: string; spanId: string }>;
}

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{
      spans?: Array<{
        name: string;
        kind: number;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        links?: Array<{ traceId: string; spanId: string }>;
      }>;
    }>;
  }>;
}

const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 };
const KNOWN_STORE = 'S00339218'; // in the sample store master

let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
let receiver: Server;
const spans: ReceivedSpan[] = [];
const exportContentTypes = new Set<string>();

function startReceiver(): Promise<number> {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exportContentTypes.add(`${request.method} ${request.url} ${request.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service =
          resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value
            .stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              service,
              name: span.name,
              kind: span.kind,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              links: span.links ?? [],
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolveListen) =>
    receiver.listen(0, '127.0.0.1', () => resolveListen((receiver.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  environment = await createTestEnvironment('traces');
  images = await startImageServer();
  const port = await startReceiver();
  stack = await startStack(environment, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Spans leave every 100 ms instead of every 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    LOG_LEVEL: 'info',
  });
});

afterAll(async () => {
  await stack?.stopAll();
  await images?.close();
  await new Promise((resolveClose) => receiver?.close(resolveClose));
  await environment?.cleanup();
});

/** The chain of spans from `span` up to its trace's root, `span` first. */
function ancestry(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const chain = [span];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) chain.push(parent);
  return chain;
}

describe('one trace per job, across the broker', () => {
  it('follows a submit from the gateway to every image and the projection', async () => {
    const urls = SERVED_IMAGES.map((image) => images.url(image.path));
    const response = await fetch(`${stack.baseUrl}/api/submit/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        count: 1,
        visits: [{ store_id: KNOWN_STORE, image_url: urls, visit_time: '2024-01-21T16:23:40.898Z' }],
      }),
    });
    expect(response.status).toBe(201);
    const jobId = ((await response.json()) as { job_id: number }).job_id;
    expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });

    const submitSpan = () =>
      spans.find(
        (span) =>
          span.service === 'gateway' &&
          span.kind === SPAN_KIND.server &&
          span.name.startsWith('POST') &&
          span.parentSpanId === '',
      );
    // Every image's outcome folded by the projection: its delivery span ends when its batch is acked.
    const projectionDeliveries = () =>
      spans.filter(
        (span) =>
          span.traceId === submitSpan()?.traceId && span.service === 'projection' && span.kind === SPAN_KIND.consumer,
      );
    await until(() => projectionDeliveries().length >= 1 + urls.length, {
      timeoutMs: 30_000,
      what: `the projection's spans of the job (received: ${spans.length} spans)`,
    }).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}\n${JSON.stringify(spans, null, 1).slice(0, 6_000)}\n${await describeStack(stack)}`,
      );
    });

    const root = submitSpan()!;
    const trace = spans.filter((span) => span.traceId === root.traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const services = (span: ReceivedSpan) => [...new Set(ancestry(span, byId).map((each) => each.service))].reverse();

    // Nothing in the trace is orphaned: every span's parents lead back to the gateway's request.
    for (const span of trace) expect(ancestry(span, byId).at(-1)).toBe(root);

    // ingest's request span is the child of the gateway's call to it.
    const ingestRequest = trace.find((span) => span.service === 'ingest' && span.kind === SPAN_KIND.server)!;
    expect(byId.get(ingestRequest.parentSpanId)).toMatchObject({ service: 'gateway', kind: SPAN_KIND.client });

    // The dispatcher's delivery of JobSubmitted continues ingest's publish, from the AMQP headers.
    const consumers = trace.filter((span) => span.service === 'image-processor' && span.kind === SPAN_KIND.consumer);
    const dispatch = consumers.find((span) => byId.get(span.parentSpanId)?.service === 'ingest')!;
    expect(byId.get(dispatch.parentSpanId)).toMatchObject({ service: 'ingest', kind: SPAN_KIND.producer });
    expect(services(dispatch)).toEqual(['gateway', 'ingest', 'image-processor']);

    // Each image: a delivery of its ImageRequested, the child of one of the dispatcher's publishes.
    const imageDeliveries = consumers.filter((span) => ancestry(span, byId).slice(1).includes(dispatch));
    expect(imageDeliveries).toHaveLength(urls.length);
    for (const image of imageDeliveries) {
      expect(byId.get(image.parentSpanId)).toMatchObject({ service: 'image-processor', kind: SPAN_KIND.producer });
      expect(byId.get(byId.get(image.parentSpanId)!.parentSpanId)).toBe(dispatch);
      // Its download is in it.
      expect(
        trace.some(
          (span) => span.kind === SPAN_KIND.client && span.name.startsWith('GET') && ancestry(span, byId)[1] === image,
        ),
      ).toBe(true);
    }

    // The projection received JobSubmitted from ingest and every outcome from an image's processing.
    const folded = projectionDeliveries();
    expect(folded.map((span) => services(span))).toEqual(
      expect.arrayContaining([
        ['gateway', 'ingest', 'projection'],
        ...imageDeliveries.map(() => ['gateway', 'ingest', 'image-processor', 'projection']),
      ]),
    );
    for (const image of imageDeliveries) {
      expect(folded.some((span) => ancestry(span, byId).includes(image))).toBe(true);
    }

    // A batch is a trace of its own, linked to the deliveries it folded.
    const foldedIds = new Set(folded.map((span) => span.spanId));
    const batches = spans.filter((span) => span.service === 'projection' && span.name === 'projection fold');
    expect(batches.every((batch) => batch.parentSpanId === '' && batch.traceId !== root.traceId)).toBe(true);
    const linked = batches.flatMap((batch) => batch.links.filter((link) => link.traceId === root.traceId));
    expect(new Set(linked.map((link) => link.spanId))).toEqual(foldedIds);

    // The dispatcher's log line carries the trace id and its span's id.
    const dispatchLog = stack.services
      .get('image-processor')!
      .output.join('')
      .split('\n')
      .find((line) => line.includes('"job dispatched"') && line.includes(`"jobId":${jobId}`));
    expect(dispatchLog).toBeDefined();
    expect(JSON.parse(dispatchLog!)).toMatchObject({ trace_id: root.traceId, span_id: dispatch.spanId });

    expect([...exportContentTypes]).toEqual(['POST /v1/traces application/json']);
  });
});
