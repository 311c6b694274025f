import { createLogger } from '@retail-pulse/shared/config';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { StoreMaster, StoreMasterVersions } from '@retail-pulse/shared/storeMaster';
import { ActiveReadModels } from '../../services/status-api/src/readModels';
import { VisitsQuery } from '../../services/status-api/src/visits/query';
const DAY_MS = 86_400_000;
async function main() {
  const { client, db } = await connectMongo(
    'mongodb://127.0.0.1:27017',
    process.env.MONGO_DB ?? 'retail_pulse_bench_1m',
  );
  const generation = Number(process.argv[2]);
  const state = new ProjectionState(db);
  await state.setActive({ jobStatus: generation, visits: generation, jobs: generation });
  if (process.argv[3] === 'import')
    await new StoreMasterVersions(db).importVersion(
      Array.from({ length: 4944 }, (_, index) => ({
        storeId: `RP${String(index + 1).padStart(5, '0')}`,
        areaCode: index + 1 <= 2472 ? '7100015' : '7100016',
        storeName: 'BENCH STORE',
      })),
      'the bench',
    );
  const storeMaster = new StoreMaster(db, createLogger('x', 'warn'));
  await storeMaster.start();
  storeMaster.stop();
  const visits = new VisitsQuery(db, new ActiveReadModels(db), storeMaster);
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const from = Date.UTC(2024, 0, 1) + ((i * 7) % 335) * DAY_MS;
    const t = performance.now();
    const answer = await visits.find({
      area: i % 2 ? '7100015' : '7100016',
      from: new Date(from),
      until: new Date(from + 30 * DAY_MS),
    });
    const body = JSON.stringify(answer);
    times.push(performance.now() - t);
    if (i === 0) console.log('stores', answer.results.length, 'bytes', body.length);
  }
  times.sort((a, b) => a - b);
  console.log('p50', times[20]!.toFixed(1), 'max', times[39]!.toFixed(1));
  await client.close();
}
main();
