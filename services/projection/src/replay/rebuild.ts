import type { Db } from 'mongodb';
import type { IdLookups } from '@retail-pulse/shared/mongo';
import type { Logger } from '@retail-pulse/shared/config';
import {
  readModelNames,
  type ActiveGenerations,
  type ReadModelName,
  type RecordedEvent,
} from '@retail-pulse/shared/contracts';
import { consumersOf, sendSwitchRequest } from '@retail-pulse/shared/messaging';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { EventLog, legacyLogPending, LegacyLogPending, recordedOf, type LoggedEvent } from '../eventLog';
import { catchUp, createReadModel } from '../projector';
import type { ReadModel } from '../readModel';

export interface RebuildOptions {
  models?: readonly ReadModelName[];
  /** Fold only events at or below this position. */
  asOfPosition?: number;
  /** Fold only events recorded at or before this time ("what did the status say then"). */
  asOfTime?: Date;
  pageSize?: number;
  /** Indexes reads by `_id` of the rebuilt generation once it is written (the embedded database's workaround). */
  idLookups?: IdLookups;
  /** Told the generation being built and the log's last position, before the first event is read. */
  onStart?: (start: { generation: number; total: number }) => void;
  /** `position` of `total` is how far the log has been read; `events` were folded so far. */
  onProgress?: (progress: { events: number; total: number; position: number }) => void;
}

export interface RebuildResult {
  generation: number;
  models: ReadModelName[];
  events: number;
  lastPosition: number;
  durationMs: number;
  collections: string[];
}

/** The next unused generation number: above every active and every checkpointed one. */
export async function nextGeneration(state: ProjectionState): Promise<number> {
  const active = await state.active();
  return Math.max(...Object.values(active), ...(await state.knownGenerations())) + 1;
}

/** Removes one generation of one read model: its collections and its checkpoint. */
export async function dropGeneration(db: Db, model: ReadModel): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((entry) => entry.name));
  for (const name of model.collections) if (existing.has(name)) await db.collection(name).drop();
  await new ProjectionState(db).dropCheckpoint(model.name, model.generation);
}

/**
 * Rebuilds read models from the event log into a fresh generation, which nobody serves yet. Pages
 * are read ahead while the previous page is folded; intermediate state is written once at the end.
 */
export async function rebuild(db: Db, logger: Logger, options: RebuildOptions = {}): Promise<RebuildResult> {
  const state = new ProjectionState(db);
  const generation = await nextGeneration(state);
  const names = [...(options.models ?? readModelNames)];
  if (await legacyLogPending(db)) {
    throw new LegacyLogPending('the event log is in the old layout: start the projection once to move it into pages');
  }
  const log = new EventLog(db);
  const started = Date.now();
  const total = await log.lastPosition();
  options.onStart?.({ generation, total });
  const models = names.map((name) => createReadModel(name, db, state, generation));
  for (const model of models) await dropGeneration(db, model);
  // Before the first write: a rebuild that writes a bucket early (bounded memory) reads it back by _id.
  await options.idLookups?.ensure(models.flatMap((model) => model.collections));
  models.forEach((model) => model.setDeferred(true));
  const { events, lastPosition } = await foldLog(log, models, total, options);
  await Promise.all(models.map((model) => model.flush()));
  logger.info({ generation, models: names, events, lastPosition }, 'rebuilt read models from the log');
  return {
    generation,
    models: names,
    events,
    lastPosition,
    durationMs: Date.now() - started,
    collections: models.flatMap((model) => model.collections),
  };
}

async function foldLog(
  log: EventLog,
  models: ReadModel[],
  total: number,
  options: RebuildOptions,
): Promise<{ events: number; lastPosition: number }> {
  const asOfTime = options.asOfTime?.getTime();
  const include = (logged: LoggedEvent) =>
    (options.asOfPosition === undefined || logged.position <= options.asOfPosition) &&
    (asOfTime === undefined || Date.parse(logged.recordedAt) <= asOfTime);
  const batches = log.entries(0, options.pageSize ?? 5_000);
  let events = 0;
  let lastPosition = 0;
  let folding: Promise<unknown> = Promise.resolve();
  for (let next = batches.next(); ;) {
    const batch = await next;
    if (batch.done) break;
    next = batches.next(); // read ahead while this batch is folded
    const recorded: RecordedEvent[] = [];
    for (const logged of batch.value) if (include(logged)) recorded.push(recordedOf(logged));
    lastPosition = batch.value[batch.value.length - 1]!.position;
    await folding;
    folding = Promise.all(models.map((model) => model.fold(recorded, { verifyTerminal: false })));
    events += recorded.length;
    options.onProgress?.({ events, total, position: lastPosition });
  }
  await folding;
  return { events, lastPosition };
}

export interface SwitchResult {
  generations: ActiveGenerations;
  by: 'projection' | 'replay';
  caughtUp: number;
}

export interface SwitchOptions {
  amqpUrl: string;
  /** The projection's queue: whoever consumes it is the log's writer. */
  projectionQueue: string;
  timeoutMs?: number;
  pollMs?: number;
}

/**
 * Makes the API serve the rebuilt generations, decided by exactly one party. When a projection
 * holds its queue — RabbitMQ says so, no heartbeat guesses — the request goes on that queue and
 * the projection carries it out between two batches, folding what arrived during the rebuild
 * first, so the new generation never lags the old one. Only when no consumer holds the queue does
 * the replay catch up and switch by itself; a projection that starts meanwhile adopts what is
 * served before its first batch.
 */
export async function switchTo(
  db: Db,
  result: RebuildResult,
  logger: Logger,
  options: SwitchOptions,
): Promise<SwitchResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const state = new ProjectionState(db);
  const request = Object.fromEntries(
    result.models.map((name) => [name, result.generation]),
  ) as Partial<ActiveGenerations>;
  const previous = await state.active();
  const target = { ...previous, ...request };
  const served = (active: ActiveGenerations) => readModelNames.every((name) => active[name] === target[name]);
  let outcome: SwitchResult;
  if ((await consumersOf(options.amqpUrl, options.projectionQueue)) > 0) {
    const requestedAt = new Date();
    const expiresAt = new Date(requestedAt.getTime() + timeoutMs);
    await sendSwitchRequest(options.amqpUrl, options.projectionQueue, {
      type: 'SwitchReadModels',
      version: 1,
      data: { generations: request, requestedAt: requestedAt.toISOString(), expiresAt: expiresAt.toISOString() },
    });
    // Past `expiresAt` the projection drops the request, so the answer read after it is final.
    while (!served(await state.active())) {
      if (Date.now() > expiresAt.getTime() + 1_000) {
        throw new Error(`the projection did not switch within ${timeoutMs} ms; the old read models stay served`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
    outcome = { generations: target, by: 'projection', caughtUp: 0 };
  } else {
    const models = result.models.map((name) => createReadModel(name, db, state, result.generation));
    await Promise.all(models.map((model) => model.load()));
    const caughtUp = await catchUp(new EventLog(db), models);
    await state.setActive(target);
    outcome = { generations: target, by: 'replay', caughtUp };
  }
  logger.info({ generations: target, by: outcome.by }, 'read models switched');
  // Keep the generation served until now (a way back); drop anything older.
  for (const name of result.models) {
    for (const generation of await state.knownGenerations()) {
      if (generation < previous[name] && generation !== target[name]) {
        await dropGeneration(db, createReadModel(name, db, state, generation));
      }
    }
  }
  return outcome;
}
