import type { ServiceName, Stack } from '../../test/support/stack';
import { health, LifetimeTotal, Progress } from './measures';

const SAMPLE_EVERY_MS = 100;

type HealthBody = Record<string, unknown> | undefined;

const brokerOf = (body: HealthBody) =>
  body?.broker as { reconnects: number; publishRetries: number; redeliveries: number } | undefined;

/**
 * What the chaos run watches while it runs: every service's progress (images processed, events
 * folded, submits accepted, status answers), sampled every 100 ms, and what the services' health
 * says they absorbed, summed across their restarts. The run counts its own accepted submits and
 * status answers into `submitsAccepted` and `statusAnswers`.
 */
export class StackSampler {
  readonly progress = {
    ingest: new Progress(),
    'image-processor': new Progress(),
    projection: new Progress(),
    'status-api': new Progress(),
  };
  readonly absorbed = {
    projectionEventsReceived: new LifetimeTotal(),
    projectionEventsFolded: new LifetimeTotal(),
    processorRedeliveries: new LifetimeTotal(),
    processorPublishRetries: new LifetimeTotal(),
    processorReconnects: new LifetimeTotal(),
    ingestPublishRetries: new LifetimeTotal(),
    ingestReconnects: new LifetimeTotal(),
    ingestSubmissionMessages: new LifetimeTotal(),
    ingestSubmittedJobs: new LifetimeTotal(),
    retriesForwarded: new LifetimeTotal(),
  };
  submitsAccepted = 0;
  statusAnswers = 0;
  private sampling = false;
  private running: Promise<void> | undefined;

  constructor(private readonly stack: Stack) {}

  start(): void {
    this.sampling = true;
    this.running = this.run();
  }

  /** Resolves once the last sample is taken. */
  async stop(): Promise<void> {
    this.sampling = false;
    await this.running;
  }

  private async run(): Promise<void> {
    while (this.sampling) {
      await this.sample();
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  }

  private async sample(): Promise<void> {
    const { stack, progress, absorbed } = this;
    const pidOf = (name: ServiceName) => stack.services.get(name)?.child.pid;
    const pids = { processor: pidOf('image-processor'), projection: pidOf('projection'), ingest: pidOf('ingest') };
    const [processor, projection, ingest] = await Promise.all([
      health(stack.ports['image-processor']!),
      health(stack.ports.projection!),
      health(stack.ports.ingest!),
    ]);
    const at = Date.now();
    if (typeof processor?.processed === 'number') progress['image-processor'].record(processor.processed, at);
    const processorBroker = brokerOf(processor);
    if (processorBroker) {
      absorbed.processorRedeliveries.record(processorBroker.redeliveries, pids.processor);
      absorbed.processorPublishRetries.record(processorBroker.publishRetries, pids.processor);
      absorbed.processorReconnects.record(processorBroker.reconnects, pids.processor);
    }
    const retries = processor?.retries as { forwarded: number } | undefined;
    if (retries) absorbed.retriesForwarded.record(retries.forwarded, pids.processor);
    if (typeof projection?.eventsFolded === 'number') {
      progress.projection.record(projection.eventsFolded, at);
      absorbed.projectionEventsFolded.record(projection.eventsFolded, pids.projection);
      absorbed.projectionEventsReceived.record(Number(projection.eventsReceived), pids.projection);
    }
    const ingestBroker = brokerOf(ingest);
    if (ingestBroker) {
      absorbed.ingestPublishRetries.record(ingestBroker.publishRetries, pids.ingest);
      absorbed.ingestReconnects.record(ingestBroker.reconnects, pids.ingest);
    }
    const submissions = ingest?.submissions as { messages: number; jobs: number } | undefined;
    if (submissions) {
      absorbed.ingestSubmissionMessages.record(submissions.messages, pids.ingest);
      absorbed.ingestSubmittedJobs.record(submissions.jobs, pids.ingest);
    }
    progress.ingest.record(this.submitsAccepted, at);
    progress['status-api'].record(this.statusAnswers, at);
  }
}
