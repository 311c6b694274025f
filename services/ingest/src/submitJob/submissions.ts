import { context, trace, type Context } from '@opentelemetry/api';
import { MAX_SUBMISSIONS_PER_MESSAGE, type JobSubmitted } from '@retail-pulse/shared/contracts';
import { inTraceOfItsOwn, linkTo, traceCarrierOf, type Broker } from '@retail-pulse/shared/messaging';

/** A message of many stops growing at this many bytes of JSON; a job larger than that goes alone. */
export const SUBMISSIONS_MESSAGE_BYTES = 256 * 1024;

export interface SubmissionPublisherOptions {
  /** Jobs sent in one message at most. */
  maxJobs: number;
  /** Messages awaiting the broker's confirm at once; the jobs accepted meanwhile wait for the next. */
  maxInFlight: number;
}

/**
 * Four in flight. On the bench's submit load (`npm run bench:front-door`, 2026-12-03) one message
 * in flight made each submit wait ~70 ms for the broker, four ~60 ms and sixteen ~45 ms, for 2.6,
 * 2.6 and 2.7 ms of CPU per job against 2.9–3.3 with a message per job. Most of that wait was
 * Nagle's algorithm on the connection (see connect.ts). With TCP_NODELAY (2026-12-04, two runs
 * each): one in flight 1,234–1,258 and 575–919 jobs/s, four 1,084–1,098 and 1,127–1,175, sixteen
 * 1,072–1,096 and 1,052, no count better beyond the spread.
 */
export const DEFAULT_SUBMISSION_BATCHING: SubmissionPublisherOptions = {
  maxJobs: MAX_SUBMISSIONS_PER_MESSAGE,
  maxInFlight: 4,
};

interface Waiting {
  event: JobSubmitted;
  /** The event's JSON: the message is assembled from these. */
  json: string;
  /** The submit's context: its trace continues through the publish. */
  submit: Context;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const tracer = trace.getTracer('retail-pulse.ingest');

/**
 * Sends accepted jobs' JobSubmitted to the events exchange with at most `maxInFlight` messages
 * awaiting the broker's confirm: the jobs accepted while none is free go together in the next one
 * (a JobSubmissions message), so under load one publish, confirm, enqueue on two queues, delivery
 * and ack serve many jobs, and a lone job still goes at once, as a JobSubmitted of its own. Each
 * `publish` resolves once the message holding its job is confirmed (the submit's 201 waits for
 * it); if the broker refuses that message, every job in it gets the error (their clients' 503).
 */
export class SubmissionPublisher {
  private waiting: Waiting[] = [];
  private sending = 0;
  /** Messages sent and jobs in them, for the health details. */
  readonly stats = { messages: 0, jobs: 0 };

  constructor(
    private readonly broker: Broker,
    private readonly options: SubmissionPublisherOptions = DEFAULT_SUBMISSION_BATCHING,
  ) {
    if (options.maxJobs > MAX_SUBMISSIONS_PER_MESSAGE) {
      throw new Error(`at most ${MAX_SUBMISSIONS_PER_MESSAGE} jobs fit in one message`);
    }
  }

  publish(event: JobSubmitted): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, json: JSON.stringify(event), submit: context.active(), resolve, reject });
      this.sendNext();
    });
  }

  private sendNext(): void {
    if (this.sending >= this.options.maxInFlight || this.waiting.length === 0) return;
    const batch = this.takeBatch();
    this.sending++;
    const sent = batch.length === 1 ? this.sendAlone(batch[0]!) : this.sendTogether(batch);
    void sent
      .then(
        () => {
          this.stats.messages++;
          this.stats.jobs += batch.length;
          for (const each of batch) each.resolve();
        },
        (error: unknown) => {
          for (const each of batch) each.reject(error);
        },
      )
      .finally(() => {
        this.sending--;
        this.sendNext();
      });
  }

  /** The oldest waiting jobs, up to `maxJobs` and the message's byte limit (the first one always). */
  private takeBatch(): Waiting[] {
    let count = 0;
    let bytes = 0;
    for (const each of this.waiting) {
      if (count > 0 && (count === this.options.maxJobs || bytes + each.json.length > SUBMISSIONS_MESSAGE_BYTES)) break;
      bytes += each.json.length;
      count++;
    }
    return this.waiting.splice(0, count);
  }

  /** A job alone travels as its JobSubmitted, published in its submit's trace. */
  private sendAlone(job: Waiting): Promise<void> {
    const { event } = job;
    return context.with(job.submit, () =>
      this.broker.publishRaw(this.broker.topology.names.eventsExchange, event.type, Buffer.from(job.json), {
        messageId: event.eventId,
        type: event.type,
      }),
    );
  }

  /** Several jobs travel as one JobSubmissions message, assembled from each job's JSON. */
  private sendTogether(batch: Waiting[]): Promise<void> {
    const jobs = batch.map((each) => {
      const carrier = traceCarrierOf(each.submit);
      return carrier ? `{"event":${each.json},"trace":${JSON.stringify(carrier)}}` : `{"event":${each.json}}`;
    });
    const content = Buffer.from(`{"type":"JobSubmissions","version":1,"jobs":[${jobs.join(',')}]}`);
    return inTraceOfItsOwn(
      tracer,
      'job submissions send',
      batch.map((each) => linkTo(each.submit)),
      { 'rp.jobs': batch.length },
      () =>
        this.broker.publishRaw(this.broker.topology.names.eventsExchange, 'JobSubmissions', content, {
          messageId: `submissions:${batch[0]!.event.eventId}:${batch.length}`,
          type: 'JobSubmissions',
        }),
    );
  }
}
