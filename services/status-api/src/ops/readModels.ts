import type { Db } from 'mongodb';
import { readModelNames } from '@retail-pulse/shared/contracts';
import type { ReadModelsBody } from '@retail-pulse/shared/contracts/api';
import { ProjectionState } from '@retail-pulse/shared/readModels';

/**
 * `GET /api/ops/read-models`: the generations served, how far every generation has folded the
 * log, and the last replay's account of itself — a few small documents of `projection_state`.
 */
export class ReadModelsStatus {
  private readonly state: ProjectionState;

  constructor(db: Db) {
    this.state = new ProjectionState(db);
  }

  async body(): Promise<ReadModelsBody> {
    const [served, switchedAt, log, checkpoints, replay] = await Promise.all([
      this.state.active(),
      this.state.switchedAt(),
      this.state.logState(),
      this.state.checkpoints(),
      this.state.replayProgress(),
    ]);
    const generations = [...new Set(checkpoints.map((checkpoint) => checkpoint.generation))].sort((a, b) => b - a);
    return {
      served,
      switched_at: switchedAt ? new Date(switchedAt).toISOString() : null,
      log_position: log.reservedThrough,
      generations: generations.map((generation) => ({
        generation,
        models: checkpoints
          .filter((checkpoint) => checkpoint.generation === generation)
          .sort((a, b) => readModelNames.indexOf(a.model) - readModelNames.indexOf(b.model))
          .map((checkpoint) => ({
            model: checkpoint.model,
            checkpoint: checkpoint.checkpoint,
            updated_at: new Date(checkpoint.updatedAt).toISOString(),
            served: served[checkpoint.model] === generation,
          })),
      })),
      replay: replay
        ? {
            status: replay.status,
            generation: replay.generation,
            models: replay.models,
            events: replay.events,
            total: replay.total,
            started_at: new Date(replay.startedAt).toISOString(),
            updated_at: new Date(replay.updatedAt).toISOString(),
            finished_at: replay.finishedAt ? new Date(replay.finishedAt).toISOString() : null,
            ...(replay.error !== undefined ? { error: replay.error } : {}),
          }
        : null,
    };
  }
}
