import type { Collection, Db } from 'mongodb';
import type { Logger } from '@retail-pulse/shared/config';
import { metadataFor, webhookRequestedSchema, type WebhookRequested } from '@retail-pulse/shared/contracts';
import type { Broker } from '@retail-pulse/shared/messaging';
import { collectionNames, insertIdempotent } from '@retail-pulse/shared/mongo';
import type { ProjectionState } from '@retail-pulse/shared/readModels';
import type { WebhookDue, WebhookOutboxPort } from '../readModel';
import { webhookBodyOf } from './body';

/** A webhook stored when its job settled, until the broker has confirmed the command to deliver it. */
export interface WebhookOutboxDocument {
  /** The webhook id: stored twice, a settlement is still one document. */
  _id: string;
  jobId: number;
  url: string;
  /** The exact body every attempt sends. */
  body: string;
  /** The log position of the event that settled the job. */
  position: number;
  recordedAt: Date;
}

/**
 * Left to the sweep once this old: younger ones are sent by the fold that stored them, right after
 * it stored the settlement itself (a sweep sending one earlier could beat the job's terminal state
 * to the read model).
 */
export const SWEEP_AFTER_MS = 30_000;

export interface WebhookOutboxOptions {
  broker: Broker;
  logger: Logger;
  /** Told of each command the broker confirmed. */
  onRequested?: () => void;
  clock?: () => Date;
}

/**
 * The transactional outbox of job-settled webhooks, without transactions: the jobs model stores a
 * settlement's webhook here before it stores the settlement, and the command to deliver it goes
 * to the broker after; the document is deleted once the broker has confirmed the command. So a
 * settlement durable in the read model always has its webhook stored or sent — whoever crashes
 * where — and the deliverer takes it from there, at least once.
 *
 * What makes a webhook due is the log position of the settling event, not a fold noticing it: the
 * projection state's mark (`webhooksThrough`) says through which position settlements have had
 * theirs stored, so the refolds that meet old settlements again — a restart, a replay's rebuild
 * and switch, an import — store nothing and call nobody twice.
 */
export class WebhookOutbox implements WebhookOutboxPort {
  private readonly collection: Collection<WebhookOutboxDocument>;
  /** Being sent now, by a fold's hand-over or a sweep: never both at once. */
  private readonly sending = new Set<string>();
  private readonly clock: () => Date;

  constructor(
    db: Db,
    private readonly state: ProjectionState,
    private readonly options: WebhookOutboxOptions,
  ) {
    this.collection = db.collection<WebhookOutboxDocument>(collectionNames.webhookOutbox);
    this.clock = options.clock ?? (() => new Date());
  }

  async record(due: WebhookDue[]): Promise<() => void> {
    const through = await this.state.webhooksThrough();
    const fresh = due.filter((entry) => entry.position > through);
    if (fresh.length === 0) return () => undefined;
    const recordedAt = this.clock();
    const documents = fresh.map(({ document, callbackUrl, position }): WebhookOutboxDocument => {
      const { webhookId, body } = webhookBodyOf(document);
      return { _id: webhookId, jobId: document.jobId, url: callbackUrl, body, position, recordedAt };
    });
    await insertIdempotent(this.collection, documents);
    await this.state.advanceWebhooksThrough(Math.max(...fresh.map((entry) => entry.position)));
    return () => void this.send(documents);
  }

  /** Sends what a fold's hand-over did not (the broker was away): run every few seconds. */
  async sweep(): Promise<void> {
    const before = new Date(this.clock().getTime() - SWEEP_AFTER_MS);
    await this.send(await this.collection.find({ recordedAt: { $lt: before } }).toArray());
  }

  /**
   * Sends everything the outbox holds. Run once the projection has opened its read models: their
   * catch-up has stored every settlement the log holds, so no entry can run ahead of its job's
   * terminal state — and one left by a process that died between storing it and its settlement
   * goes out now, not a sweep later.
   */
  async flush(): Promise<void> {
    await this.send(await this.collection.find({}).toArray());
  }

  private async send(documents: WebhookOutboxDocument[]): Promise<void> {
    for (const document of documents) {
      if (this.sending.has(document._id)) continue;
      this.sending.add(document._id);
      try {
        const command: WebhookRequested = webhookRequestedSchema.parse({
          type: 'WebhookRequested',
          version: 1,
          data: { webhookId: document._id, jobId: document.jobId, body: document.body, url: document.url, attempt: 1 },
          metadata: metadataFor(document.jobId),
        });
        const { broker } = this.options;
        const { names, retryRoutes } = broker.topology;
        await broker.publish(names.workExchange, retryRoutes.webhooks.workRoutingKey, command, {
          messageId: document._id,
          type: command.type,
        });
        this.options.onRequested?.();
        // Deleted only once confirmed; a delete that fails sends it again at the next sweep (same id).
        await this.collection.deleteOne({ _id: document._id });
      } catch (error) {
        this.options.logger.warn(
          { jobId: document.jobId, webhookId: document._id, err: String(error) },
          'could not hand a webhook to the broker; the outbox keeps it for the next sweep',
        );
      } finally {
        this.sending.delete(document._id);
      }
    }
  }
}
