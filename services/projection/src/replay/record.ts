import type { Db } from 'mongodb';
import type { ReadModelName } from '@retail-pulse/shared/contracts';
import { ProjectionState, type ReplayProgressDocument } from '@retail-pulse/shared/readModels';

/** Progress is written at most this often: the dashboard reads it, the rebuild must not wait on it. */
const WRITE_EVERY_MS = 1_000;

/**
 * A replay's own account of itself in `projection_state` (`replay`): which generation it builds,
 * how far it is, and how it ended, for `GET /api/ops/read-models`. Writes are chained in order and
 * never fail the replay; a replay that is killed leaves `running` with an old `updatedAt`.
 */
export class ReplayRecord {
  private readonly state: ProjectionState;
  private progress: Omit<ReplayProgressDocument, '_id'> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private writtenAt = 0;

  constructor(
    db: Db,
    private readonly models: ReadModelName[],
  ) {
    this.state = new ProjectionState(db);
  }

  started(generation: number, total: number): void {
    const now = new Date();
    this.progress = {
      status: 'running',
      generation,
      models: this.models,
      events: 0,
      total,
      startedAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    this.write();
  }

  advanced(events: number, total: number): void {
    if (!this.progress) return;
    Object.assign(this.progress, { events, total, updatedAt: new Date() });
    if (Date.now() - this.writtenAt >= WRITE_EVERY_MS) this.write();
  }

  async ended(outcome: { error?: unknown } = {}): Promise<void> {
    if (!this.progress) return;
    const now = new Date();
    Object.assign(this.progress, {
      updatedAt: now,
      finishedAt: now,
      status: outcome.error === undefined ? 'finished' : 'failed',
    });
    if (outcome.error !== undefined)
      this.progress.error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    this.write();
    await this.writing;
  }

  private write(): void {
    this.writtenAt = Date.now();
    const snapshot = { ...this.progress! };
    this.writing = this.writing.then(() => this.state.saveReplayProgress(snapshot)).catch(() => undefined);
  }
}
