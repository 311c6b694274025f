import { createLogger } from '@retail-pulse/shared/config';
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { EventLog, recordedOf } from '../../services/projection/src/eventLog';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { readFileSync } from 'node:fs';
const ferretPid = Number(process.argv[2]);
const ferretCpu = () => {
  const f = readFileSync(`/proc/${ferretPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
async function main() {
  const logger = createLogger('bench', 'warn');
  const { client, db } = await connectMongo('mongodb://127.0.0.1:27017', 'retail_pulse_bench_replay');
  const idLookups = new IdLookups(db, logger, process.env.FERRETDB_SQLITE_DIR);
  const measure = async (label: string, run: () => Promise<unknown>) => {
    const f0 = ferretCpu();
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    await run();
    const c = process.cpuUsage(c0);
    console.log(
      label,
      'wall',
      (Date.now() - t0) / 1000,
      'node',
      ((c.user + c.system) / 1e6).toFixed(2),
      'ferret',
      (ferretCpu() - f0).toFixed(2),
    );
  };
  await measure('log read', async () => {
    let n = 0;
    for await (const b of new EventLog(db).entries(0, 5000)) n += b.length;
  });
  await measure('log read+recordedOf', async () => {
    let n = 0;
    for await (const b of new EventLog(db).entries(0, 5000))
      for (const e of b) {
        recordedOf(e);
        n++;
      }
  });
  for (const models of [['jobStatus'], ['jobs'], ['visits'], ['jobStatus', 'jobs', 'visits']] as const) {
    await measure(`rebuild ${models.join(',')}`, () => rebuild(db, logger, { models: [...models], idLookups }));
  }
  await client.close();
}
main();
