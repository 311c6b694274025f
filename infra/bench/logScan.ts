/**
 * `npm run bench:log-scan`: what the MongoDB-protocol server alone gives a replay — a whole-log
 * scan with no folding, and bulk inserts of image records — on the log `bench:replay` wrote.
 */
import { connectMongo } from '@retail-pulse/shared/mongo';

async function main(): Promise<void> {
  const { client, db } = await connectMongo(
    process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
    process.env.MONGO_DB ?? 'retail_pulse_bench_replay',
  );
  for (const batchSize of [1_000, 5_000, 20_000]) {
    const started = Date.now();
    let documents = 0;
    for await (const document of db.collection('events').find({}).batchSize(batchSize)) {
      if (document) documents++;
      if (documents >= 300_000) break;
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      JSON.stringify({ stage: 'scan', batchSize, documents, eventsPerSecond: Math.round(documents / seconds) }),
    );
  }
  const scratch = db.collection('bench_insert_scratch');
  for (const batch of [1_000, 5_000, 20_000]) {
    await scratch.drop().catch(() => undefined);
    const started = Date.now();
    const total = 100_000;
    for (let offset = 0; offset < total; offset += batch) {
      await scratch.insertMany(
        Array.from({ length: batch }, (_, index) => ({
          _id: `${offset + index}:0:0` as never,
          jobId: offset + index,
          visitIndex: 0,
          imageIndex: 0,
          storeId: 'RP00001',
          areaCode: '7100015',
          storeName: 'BENCH STORE',
          visitTime: new Date(),
          date: '2024-01-01',
          url: `https://images.example/${offset + index}/0/0.jpg`,
          status: 'processed',
          width: 1000,
          height: 800,
          perimeter: 3600,
          processedAt: new Date(),
          reason: null,
          position: offset + index,
        })),
        { ordered: false },
      );
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      JSON.stringify({
        stage: 'insert image records',
        batch,
        documents: total,
        perSecond: Math.round(total / seconds),
      }),
    );
  }
  await scratch.drop();
  await client.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
