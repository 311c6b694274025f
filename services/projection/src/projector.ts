import type { Db } from 'mongodb';
import type { IdLookups } from '@retail-pulse/shared/mongo';
import type { Logger } from '@retail-pulse/shared/config';
import {
  readModelNames,
  subjectConflict,
  type ActiveGenerations,
  type DomainEvent,
  type ReadModelName,
  type RecordedEvent,
  type SwitchReadModels,
} from '@retail-pulse/shared/contracts';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { EventLog } from './eventLog';
import { JobsModel } from './jobs/model';
import { JobStatusModel } from './jobStatus/model';
import type { ReadModel, SettledListener, WebhookOutboxPort } from './readModel';
import { VisitsModel } from './visits/model';

export function createReadModel(
  name: ReadModelName,
  db: Db,
  state: ProjectionState,
  generation: number,
  listeners: { onSettled?: SettledListener; webhooks?: WebhookOutboxPort } = {},
): ReadModel {
  switch (name) {
    case 'jobStatus':
      return new JobStatusModel(db, state, generation, listeners.onSettled);
    case 'visits':
      return new VisitsModel(db, state, generation);
    case 'jobs':
      return new JobsModel(db, state, generation, listeners.webhooks);
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

export interface ProjectorOptions {
  /** Told of the jobs each batch settles, once their outcomes are stored. */
  onSettled?: SettledListener;
  /**
   * Stores the webhooks of jobs settled in the log beyond what it has seen (webhooks/outbox.ts).
   * Replays build their read models without it: rebuilding history never calls anyone back.
   */
  webhooks?: WebhookOutboxPort;
  /** Indexes reads by `_id` of every generation it opens (the embedded database's workaround). */
  idLookups?: IdLookups;
  clock?: () => Date;
}

/** An event refused because the log holds its id for a different subject; `index` is its place in the batch. */
export interface RefusedEvent {
  index: number;
  eventId: string;
  reason: string;
}

/** What became of a batch: the events refused (every other one is in the log and folded). */
export interface ProjectResult {
  refused: RefusedEvent[];
}

/**
 * The single writer of the event log and the decider of which read-model generations are served:
 * appends each batch of events at the next positions, then folds it into every served model.
 *
 * Before every batch (and on every maintenance tick) it re-reads what is served and how far the
 * log reaches, and adopts both when another party moved them — a replay that switched while no
 * projection held the queue, an import, or another instance that was the active consumer before
 * this one. So it never folds into a generation that is no longer served, nor appends at a
 * position someone else used, without knowing it.
 */
export class Projector {
  readonly log: EventLog;
  readonly state: ProjectionState;
  private models: ReadModel[] = [];
  private nextPosition = 1;
  private highestJobId = 0;
  private eventsFolded = 0;
  /** Batches appended and folded (their average size tells how well the writes are shared). */
  private batchesFolded = 0;
  /** Events handed to `project`, duplicates included. */
  private eventsReceived = 0;
  private eventsRefused = 0;
  /** Appends, folds and switches run one at a time, in order. */
  private exclusive: Promise<unknown> = Promise.resolve();

  private readonly listeners: { onSettled?: SettledListener; webhooks?: WebhookOutboxPort };
  private readonly idLookups: IdLookups | undefined;
  private readonly clock: () => Date;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    options: ProjectorOptions = {},
  ) {
    this.log = new EventLog(db);
    this.state = new ProjectionState(db);
    this.listeners = { onSettled: options.onSettled, webhooks: options.webhooks };
    this.idLookups = options.idLookups;
    this.clock = options.clock ?? (() => new Date());
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
      batchesFolded: this.batchesFolded,
      eventsRefused: this.eventsRefused,
    };
  }

  /** Opens the served generations, folds what the log holds beyond their checkpoints. */
  start(): Promise<void> {
    return this.serially(() => this.open('projection ready'));
  }

  /** Appends and folds one batch. Safe to call again with the same events after a failure. */
  project(events: DomainEvent[]): Promise<ProjectResult> {
    return this.serially(async () => {
      this.eventsReceived += events.length;
      await this.adopt();
      const { unique, repeats } = splitRepeats(events);
      const refused: RefusedEvent[] = [];
      const recorded = new Map<string, RecordedEvent>();
      if (unique.length > 0) {
        const first = this.nextPosition;
        const last = first + unique.length - 1;
        const highestJobId = Math.max(
          this.highestJobId,
          ...unique.map(({ event }) => (event.type === 'JobSubmitted' ? event.data.jobId : 0)),
        );
        // Positions are reserved before they are used, so a restart never hands them out twice.
        await this.state.reserveThrough(last, highestJobId);
        this.nextPosition = last + 1;
        this.highestJobId = highestJobId;
        const appended = await this.log.append(
          unique.map(({ event }) => event),
          first,
        );
        for (const conflict of appended.conflicts) {
          refused.push({ ...conflict, index: unique[conflict.index]!.index });
        }
        // Job status last: once a job answers "completed", its images are already in the visits.
        const [statusModels, others] = partition(this.models, (model) => model.name === 'jobStatus');
        await Promise.all(others.map((model) => model.fold(appended.recorded, { verifyTerminal: false })));
        await Promise.all(statusModels.map((model) => model.fold(appended.recorded, { verifyTerminal: false })));
        this.eventsFolded += appended.recorded.length;
        this.batchesFolded++;
        for (const event of appended.recorded) recorded.set(event.eventId, event);
      }
      // A second copy within the batch is judged against what the log kept under its id.
      for (const { event, index } of repeats) {
        const kept = recorded.get(event.eventId) ?? (await this.log.get(event.eventId));
        const reason = kept && subjectConflict(kept, event);
        if (reason)
          refused.push({ index, eventId: event.eventId, reason: `${reason} (logged at position ${kept.position})` });
      }
      this.eventsRefused += refused.length;
      for (const event of refused) {
        this.logger.error({ eventId: event.eventId, reason: event.reason }, 'refused an event: its id is taken');
      }
      return { refused };
    });
  }

  /** Notices what another party changed while no batch arrived (see the class comment). */
  maintain(): Promise<void> {
    return this.serially(() => this.adopt());
  }

  /**
   * Carries out a replay's request: folds into the rebuilt generations what arrived during the
   * rebuild, then serves them, between two batches. Only moves forward; a request that expired
   * (its replay gave up) or names a generation that was never built changes nothing.
   */
  switchGenerations(request: SwitchReadModels): Promise<ActiveGenerations> {
    return this.serially(async () => {
      await this.adopt();
      if (this.clock() > new Date(request.data.expiresAt)) {
        this.logger.warn({ request: request.data }, 'ignoring an expired switch request');
        return this.generations;
      }
      const target = { ...this.generations };
      for (const name of readModelNames) {
        const wanted = request.data.generations[name];
        if (wanted === undefined || wanted <= target[name]) continue;
        if ((await this.state.checkpoint(name, wanted)) === undefined) {
          this.logger.error({ model: name, generation: wanted }, 'ignoring a switch to a generation never built');
          continue;
        }
        target[name] = wanted;
      }
      const caughtUp = await this.serve(target);
      await this.state.setActive(target);
      this.logger.info({ generations: target, caughtUp }, 'switched to rebuilt read models');
      return target;
    });
  }

  /** Opens the models of `target` not open yet and folds the log into them. Returns the events folded. */
  private async serve(target: ActiveGenerations): Promise<number> {
    const replaced = this.models.filter((model) => model.generation !== target[model.name]);
    if (replaced.length === 0) return 0;
    const fresh = replaced.map((model) =>
      createReadModel(model.name, this.db, this.state, target[model.name], this.listeners),
    );
    await this.idLookups?.ensure(fresh.flatMap((model) => model.collections));
    await Promise.all(fresh.map((model) => model.load()));
    const caughtUp = await catchUp(this.log, fresh);
    this.models = this.models.map((model) => fresh.find((candidate) => candidate.name === model.name) ?? model);
    return caughtUp;
  }

  private async adopt(): Promise<void> {
    const [active, log] = await Promise.all([this.state.active(), this.state.logState()]);
    if (log.reservedThrough >= this.nextPosition) {
      await this.open('another writer appended to the log; reopened the read models');
      return;
    }
    const served = this.generations;
    if (readModelNames.every((name) => served[name] === active[name])) return;
    const caughtUp = await this.serve(active);
    this.logger.warn({ from: served, to: active, caughtUp }, 'adopted the read-model generations switched by a replay');
  }

  private async open(message: string): Promise<void> {
    this.log.forgetTail();
    const active = await this.state.active();
    this.models = readModelNames.map((name) =>
      createReadModel(name, this.db, this.state, active[name], this.listeners),
    );
    await this.idLookups?.ensure(this.models.flatMap((model) => model.collections));
    await Promise.all(this.models.map((model) => model.load()));
    const caughtUp = await catchUp(this.log, this.models);
    const head = Math.max(...this.models.map((model) => model.checkpoint));
    const log = await this.state.logState();
    this.nextPosition = Math.max(log.reservedThrough, head) + 1;
    this.highestJobId = log.highestJobId ?? (await this.state.highestJobId());
    this.logger.info(
      { generations: active, checkpoint: this.status.lastFoldedPosition, caughtUp, nextPosition: this.nextPosition },
      message,
    );
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work, work);
    this.exclusive = run.catch(() => undefined);
    return run;
  }
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** The first event of each id, and the later copies in the same batch. */
function splitRepeats(events: DomainEvent[]): {
  unique: Array<{ event: DomainEvent; index: number }>;
  repeats: Array<{ event: DomainEvent; index: number }>;
} {
  const byId = new Map<string, { event: DomainEvent; index: number }>();
  const repeats: Array<{ event: DomainEvent; index: number }> = [];
  for (const [index, event] of events.entries()) {
    if (byId.has(event.eventId)) repeats.push({ event, index });
    else byId.set(event.eventId, { event, index });
  }
  return { unique: [...byId.values()], repeats };
}
