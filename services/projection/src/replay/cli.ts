/**
 * `npm run replay`: rebuilds read models from the event log into fresh collections, then switches
 * the API to them at once (blue/green); the API answers from the old ones meanwhile.
 *
 *   npm run replay                                  every read model, then switch
 *   npm run replay -- --model visits                one read model
 *   npm run replay -- --as-of 2026-11-21T12:00:00Z  the state as it was then (not switched)
 *   npm run replay -- --as-of-position 150000       the state after that event (not switched)
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { actingOn, commonConfigShape, createLogger, loadConfig } from '@retail-pulse/shared/config';
import { readModelNames, type ReadModelName } from '@retail-pulse/shared/contracts';
import { buildTopology } from '@retail-pulse/shared/messaging';
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { hashReadModels } from './contentHash';
import { progressReporter } from './progress';
import { ReplayRecord } from './record';
import { rebuild, switchTo } from './rebuild';

const usage = `usage: npm run replay -- [--model jobStatus|visits|jobs] [--as-of <RFC 3339 time> | --as-of-position <n>] [--no-switch] [--page-size <n>]`;

function fail(message: string): never {
  console.error(`replay: ${message}\n${usage}`);
  process.exit(2);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', multiple: true },
      'as-of': { type: 'string' },
      'as-of-position': { type: 'string' },
      'no-switch': { type: 'boolean', default: false },
      'page-size': { type: 'string', default: '5000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const models = (values.model ?? []).flatMap((entry) => entry.split(','));
  for (const model of models) {
    if (!(readModelNames as readonly string[]).includes(model))
      fail(`unknown read model "${model}" (${readModelNames.join(', ')})`);
  }
  let asOfTime: Date | undefined;
  if (values['as-of'] !== undefined) {
    asOfTime = new Date(values['as-of']);
    if (!z.iso.datetime({ offset: true }).safeParse(values['as-of']).success || Number.isNaN(asOfTime.getTime())) {
      fail(`--as-of must be an RFC 3339 date-time, e.g. 2026-11-21T12:00:00Z (got ${values['as-of']})`);
    }
  }
  let asOfPosition: number | undefined;
  if (values['as-of-position'] !== undefined) {
    asOfPosition = Number(values['as-of-position']);
    if (!Number.isSafeInteger(asOfPosition) || asOfPosition < 0)
      fail('--as-of-position must be a non-negative integer');
  }
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100_000) fail('--page-size must be 1..100000');
  const historical = asOfTime !== undefined || asOfPosition !== undefined;
  return {
    models: models.length > 0 ? (models as ReadModelName[]) : [...readModelNames],
    asOfTime,
    asOfPosition,
    pageSize,
    switchAfter: !values['no-switch'] && !historical,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const config = loadConfig(z.object(commonConfigShape));
  console.error(`replay: ${actingOn(config, { database: true, broker: options.switchAfter })}`);
  const logger = createLogger('replay', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  try {
    const progress = progressReporter('replay', 'events');
    const record = new ReplayRecord(db, options.models);
    let peakRss = process.memoryUsage().rss;
    const result = await rebuild(db, logger, {
      models: options.models,
      asOfTime: options.asOfTime,
      asOfPosition: options.asOfPosition,
      pageSize: options.pageSize,
      idLookups: new IdLookups(db, logger, config.FERRETDB_SQLITE_DIR),
      onStart: ({ generation, total }) => record.started(generation, total),
      onProgress: ({ position, total }) => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        progress.update(position, total);
        record.advanced(position, total);
      },
    }).catch(async (error: unknown) => {
      await record.ended({ error });
      throw error;
    });
    progress.stop();
    const seconds = result.durationMs / 1000;
    const hashStarted = Date.now();
    const content = await hashReadModels(
      db,
      Object.fromEntries(result.models.map((name) => [name, result.generation])),
    );
    console.log(
      `rebuilt ${result.models.join(', ')} as generation ${result.generation}: ${result.events} events ` +
        `(through position ${result.lastPosition}) in ${seconds.toFixed(1)} s, ` +
        `${Math.round(result.events / Math.max(seconds, 0.001))} events/s, peak RSS ${Math.round(peakRss / 2 ** 20)} MB`,
    );
    console.log(
      `content hash ${content.hash} (${content.documents} documents, hashed in ${((Date.now() - hashStarted) / 1000).toFixed(1)} s)`,
    );
    if (options.switchAfter) {
      const switched = await switchTo(db, result, logger, {
        amqpUrl: config.AMQP_URL,
        projectionQueue: buildTopology(config.TOPOLOGY_PREFIX).names.projectionQueue,
      }).catch(async (error: unknown) => {
        await record.ended({ error });
        throw error;
      });
      console.log(
        `the API now serves generations ${JSON.stringify(switched.generations)} ` +
          `(switched by the ${switched.by}${switched.caughtUp ? `, ${switched.caughtUp} newer events folded` : ''})`,
      );
    } else {
      console.log(
        `not switched; query it with &generation=${result.generation}, e.g. ` +
          `curl 'http://localhost:8080/api/status?jobid=1&generation=${result.generation}'`,
      );
    }
    await record.ended();
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
