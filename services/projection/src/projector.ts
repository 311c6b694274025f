import type { Db } from 'mongodb';
import {
  ProjectionState,
  readModelNames,
  type ActiveGenerations,
  type DomainEvent,
  type Logger,
  type ReadModelName,
} from '@retail-pulse/shared';
import { EventLog } from './eventLog';
import { JobStatusModel } from './jobStatus/model';
import type { ReadModel, SettledListener } from './readModel';
import { VisitsModel } from './visits/model';

export function createReadModel(
  name: ReadModelName,
  db: Db,
  state: ProjectionState,
  generation: number,
  onSettled?: SettledListener,
): ReadModel {
  switch (name) {
    case 'jobStatus':
      return new JobStatusModel(db, state, generation, onSettled);
    case 'visits':
      return new VisitsModel(db, state, generation);
    default: {
      const unknown: never = name;
      throw new Error(`no read model named ${String(unknown)}`);
    }
  }
}

/** Folds everything the log holds above each model's checkpoint into it. Returns the events folded. */
export async function catchUp(log: EventLog, models: ReadModel[]): Promise<number> {
  if (models.length === 0) return 0;
  const from = Math.min(...models.map((model) => model.checkpoint));
  let folded = 0;
  for await (const page of log.readFrom(from)) {
    await Promise.all(models.map((model) => model.fold(page, { verifyTerminal: true })));
    folded += page.length;
  }
  return folded;
}

/**
 * The single writer of the event log and the served read models: appends each batch of events at
 * the next positions, then folds it into every model. On start, and when a replay asks it to
 * switch to freshly built generations, it folds whatever the log holds beyond a model's
 * checkpoint, so nothing is skipped or applied twice.
 */
export class Projector {
  readonly log: EventLog;
  readonly state: ProjectionState;
  private models: ReadModel[] = [];
  private nextPosition = 1;
  private eventsFolded = 0;
  /** Events handed to `project`, duplicates included. */
  private eventsReceived = 0;
  /** Appends, folds and switches run one at a time, in order. */
  private exclusive: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly onSettled?: SettledListener,
  ) {
    this.log = new EventLog(db);
    this.state = new ProjectionState(db);
  }

  get generations(): ActiveGenerations {
    return Object.fromEntries(this.models.map((model) => [model.name, model.generation])) as ActiveGenerations;
  }

  get status() {
    const jobStatus = this.models.find((model): model is JobStatusModel => model instanceof JobStatusModel);
    return {
      generations: this.generations,
      lastFoldedPosition: Math.min(...this.models.map((model) => model.checkpoint)),
      nextPosition: this.nextPosition,
      ongoingJobs: jobStatus?.ongoingJobs ?? 0,
      eventsReceived: this.eventsReceived,
      eventsFolded: this.eventsFolded,
    };
  }

  /** Opens the active generations, folds what the log holds beyond their checkpoints. */
  async start(): Promise<void> {
    const active = await this.state.active();
    this.models = readModelNames.map((name) =>
      createReadModel(name, this.db, this.state, active[name], this.onSettled),
    );
    await Promise.all(this.models.map((model) => model.load()));
    const caughtUp = await catchUp(this.log, this.models);
    const head = Math.max(...this.models.map((model) => model.checkpoint));
    this.nextPosition = Math.max(await this.state.reservedThrough(), head) + 1;
    this.logger.info(
      { generations: active, checkpoint: this.status.lastFoldedPosition, caughtUp, nextPosition: this.nextPosition },
      'projection ready',
    );
  }

  /** Appends and folds one batch. Safe to call again with the same events after a failure. */
  project(events: DomainEvent[]): Promise<void> {
    return this.serially(async () => {
      this.eventsReceived += events.length;
      const unique = [...new Map(events.map((event) => [event.eventId, event])).values()];
      if (unique.length === 0) return;
      const first = this.nextPosition;
      const last = first + unique.length - 1;
      // Positions are reserved before they are used, so a restart never hands them out twice.
      await this.state.reserveThrough(last);
      this.nextPosition = last + 1;
      const recorded = await this.log.append(unique, first);
      await Promise.all(this.models.map((model) => model.fold(recorded, { verifyTerminal: false })));
      this.eventsFolded += unique.length;
    });
  }

  /** Records a heartbeat and carries out a replay's switch request, if one is pending. */
  maintain(): Promise<void> {
    return this.serially(async () => {
      await this.state.heartbeat(this.status.lastFoldedPosition);
      const request = await this.state.pendingSwitch();
      if (!request) return;
      const target = { ...this.generations };
      for (const name of readModelNames) target[name] = request[name] ?? target[name];
      const replaced = this.models.filter((model) => model.generation !== target[model.name]);
      const fresh = replaced.map((model) =>
        createReadModel(model.name, this.db, this.state, target[model.name], this.onSettled),
      );
      await Promise.all(fresh.map((model) => model.load()));
      const caughtUp = await catchUp(this.log, fresh);
      this.models = this.models.map((model) => fresh.find((candidate) => candidate.name === model.name) ?? model);
      await this.state.setActive(target);
      await this.state.clearSwitch();
      this.logger.info({ generations: target, caughtUp }, 'switched to rebuilt read models');
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work, work);
    this.exclusive = run.catch(() => undefined);
    return run;
  }
}
