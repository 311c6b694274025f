import { startBenchStack } from './stack';
import { historyMasterFile } from './historyReads';
import { Pool } from 'undici';
async function main() {
  const stack = await startBenchStack(1, { amqpUrl: 'amqp://guest:guest@127.0.0.1:5672', mongoUrl: 'mongodb://127.0.0.1:27017', concurrency: 400, delayMode: 'spec' }, { dbName: 'rp_bench_history_20000', masterFile: historyMasterFile() });
  await new Promise((r) => setTimeout(r, 3000));
  const statusPort = stack.services.find((s) => s.name === 'status-api')!.port;
  const direct = new Pool(`http://127.0.0.1:${statusPort}`, { connections: 4 });
  for (const [label, get] of [['gateway', (p: string) => stack.api.get(p)], ['gateway2', (p: string) => stack.api.get(p)], ['direct', async (p: string) => { const r = await direct.request({ path: p, method: 'GET' }); return { status: r.statusCode, body: await r.body.text() }; }]] as const) {
    for (const path of ['/api/status?jobid=5', '/api/jobs/5', '/api/visits?storeid=RP00001&startdate=2024-01-01&enddate=2024-01-30', '/health']) {
      const times: number[] = [];
      for (let i = 0; i < 1000; i++) { const t = performance.now(); const r = await get(path); times.push(performance.now() - t); if (i === 0 && r.status !== 200) console.log(r.status, r.body.slice(0, 100)); }
      times.sort((a, b) => a - b);
      console.log(label, path, 'p50', times[500]!.toFixed(2), 'p99', times[990]!.toFixed(2));
    }
  }
  await direct.close();
  await stack.stop();
}
main();
