import type { Collection, Db } from 'mongodb';
import { collectionNames } from '../mongo/database';
import type { ActiveGenerations, ReadModelName } from '../contracts/readModels';

export interface ActiveGenerationDocument extends ActiveGenerations {
  _id: 'active';
  switchedAt: Date;
}

/** How far one generation of one read model has folded the log. */
export interface CheckpointDocument {
  _id: string;
  model: ReadModelName;
  generation: number;
  /** Every event at or below this position is folded into this generation of the model. */
  checkpoint: number;
  updatedAt: Date;
}

/**
 * What the single writer has handed out to the log: the highest position (the next append starts
 * above it) and the highest job id of any JobSubmitted in it (the ingest hands out ids above it,
 * so a restored installation never reuses an id its log holds).
 */
export interface LogStateDocument {
  _id: 'log';
  reservedThrough: number;
  highestJobId: number;
}

/**
 * What the last `npm run replay` wrote of itself while it ran: operators' information only, never
 * read by a fold, so nothing a replay or a restore reproduces depends on it.
 */
export interface ReplayProgressDocument {
  _id: 'replay';
  status: 'running' | 'finished' | 'failed';
  generation: number;
  models: ReadModelName[];
  /** How far the log has been read: a position, out of `total`, the log's last position at the start. */
  events: number;
  total: number;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  error?: string;
}

/** Written once the log is kept in pages (moved from the old layout, or new). */
export interface LogPagedDocument {
  _id: 'log-paged';
  pagedAt: Date;
  /** Events moved from the old layout. */
  moved: number;
}

/**
 * How far the log's settlements have had their webhooks stored (services/projection/src/webhooks):
 * every job settled by an event at or below `through` whose submit named a callback URL has its
 * webhook in the outbox or delivered. A refold (a restart, a replay's switch, a rebuild) meets
 * those settlements again and calls nobody back twice; an import sets it to the imported log's end.
 */
export interface WebhooksStateDocument {
  _id: 'webhooks';
  through: number;
}

export function checkpointId(model: ReadModelName, generation: number): string {
  return `checkpoint:${model}:${generation}`;
}

type StateDocument =
  | ActiveGenerationDocument
  | CheckpointDocument
  | LogStateDocument
  | LogPagedDocument
  | WebhooksStateDocument
  | ReplayProgressDocument;

/**
 * The projection's bookkeeping in the `projection_state` collection: one small document per fact,
 * always read and written by `_id` (fast on every MongoDB-protocol server).
 */
export class ProjectionState {
  private readonly collection: Collection<StateDocument>;

  constructor(private readonly db: Db) {
    this.collection = db.collection<StateDocument>(collectionNames.projectionState);
  }

  private async get<T extends StateDocument>(id: T['_id']): Promise<T | null> {
    return (await this.collection.findOne({ _id: id })) as T | null;
  }

  private async put(document: StateDocument): Promise<void> {
    await this.collection.replaceOne({ _id: document._id }, document, { upsert: true });
  }

  /**
   * The generations the API serves; generation 1 of everything on a new installation. A model
   * added after the installation's last switch (jobs) starts at generation 1, which the
   * projection builds from the log when it first opens it.
   */
  async active(): Promise<ActiveGenerations> {
    const active: Partial<ActiveGenerations> | null = await this.get<ActiveGenerationDocument>('active');
    return { jobStatus: active?.jobStatus ?? 1, visits: active?.visits ?? 1, jobs: active?.jobs ?? 1 };
  }

  /** When the served generations last changed; undefined on an installation that never switched. */
  async switchedAt(): Promise<Date | undefined> {
    return (await this.get<ActiveGenerationDocument>('active'))?.switchedAt;
  }

  async setActive(generations: ActiveGenerations): Promise<void> {
    await this.put({ _id: 'active', ...generations, switchedAt: new Date() });
  }

  async checkpoint(model: ReadModelName, generation: number): Promise<number | undefined> {
    return (await this.get<CheckpointDocument>(checkpointId(model, generation)))?.checkpoint;
  }

  async saveCheckpoint(model: ReadModelName, generation: number, checkpoint: number): Promise<void> {
    await this.put({ _id: checkpointId(model, generation), model, generation, checkpoint, updatedAt: new Date() });
  }

  async dropCheckpoint(model: ReadModelName, generation: number): Promise<void> {
    await this.collection.deleteOne({ _id: checkpointId(model, generation) });
  }

  /** Every generation any read model has a checkpoint for. */
  async knownGenerations(): Promise<number[]> {
    const generations = (await this.checkpoints()).map((document) => document.generation);
    return [...new Set(generations)].sort((a, b) => a - b);
  }

  /** Every checkpoint of every generation (a handful of small documents). */
  async checkpoints(): Promise<CheckpointDocument[]> {
    const documents = await this.collection.find({}).toArray();
    return documents.filter((document): document is CheckpointDocument => 'model' in document);
  }

  async replayProgress(): Promise<ReplayProgressDocument | undefined> {
    return (await this.get<ReplayProgressDocument>('replay')) ?? undefined;
  }

  async saveReplayProgress(progress: Omit<ReplayProgressDocument, '_id'>): Promise<void> {
    await this.put({ _id: 'replay', ...progress });
  }

  /** The log's high-water marks; `highestJobId` is absent where the log was written without it. */
  async logState(): Promise<{ reservedThrough: number; highestJobId: number | undefined }> {
    const log = await this.get<LogStateDocument>('log');
    return { reservedThrough: log?.reservedThrough ?? 0, highestJobId: log?.highestJobId };
  }

  /**
   * The highest job id of any JobSubmitted in the log: the writer's mark, or — for a log written
   * without one, which is always in the old layout — the old log itself (a whole scan on FerretDB,
   * until the projection moves it into pages and records the mark).
   */
  async highestJobId(): Promise<number> {
    const { highestJobId } = await this.logState();
    if (highestJobId !== undefined) return highestJobId;
    const [latest] = await this.db
      .collection<{ jobId: number }>(collectionNames.legacyEvents)
      .find({ type: 'JobSubmitted' }, { projection: { jobId: 1 } })
      .sort({ jobId: -1 })
      .limit(1)
      .toArray();
    return latest?.jobId ?? 0;
  }

  async reservedThrough(): Promise<number> {
    return (await this.logState()).reservedThrough;
  }

  async logPaged(): Promise<boolean> {
    return (await this.get<LogPagedDocument>('log-paged')) !== null;
  }

  async markLogPaged(moved: number): Promise<void> {
    await this.put({ _id: 'log-paged', pagedAt: new Date(), moved });
  }

  /** The position through which settlements have had their webhooks stored (0: none yet). */
  async webhooksThrough(): Promise<number> {
    return (await this.get<WebhooksStateDocument>('webhooks'))?.through ?? 0;
  }

  /** Moves the webhook mark forward (never back); the projection's outbox and an import call this. */
  async advanceWebhooksThrough(position: number): Promise<void> {
    if (position > (await this.webhooksThrough())) await this.put({ _id: 'webhooks', through: position });
  }

  /** Only the log's writer calls this: the projection, or an import into an empty installation. */
  async reserveThrough(position: number, highestJobId: number): Promise<void> {
    await this.put({ _id: 'log', reservedThrough: position, highestJobId });
  }
}
