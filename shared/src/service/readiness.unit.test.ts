import { createLogger } from '../config/logger';
import { answerHealth } from './healthServer';
import { Readiness } from './readiness';

const logger = createLogger('readiness-test', 'silent' as 'info');

describe('readiness', () => {
  it('is ready while every required dependency answers, and names each one that does not', async () => {
    let databaseUp = true;
    const readiness = new Readiness(
      {
        database: { probe: () => databaseUp },
        broker: { probe: () => Promise.reject(new Error('connection refused')) },
        feed: { probe: () => false, required: false },
      },
      logger,
      { cacheMs: 0 },
    );
    expect(await readiness.check()).toEqual({
      ready: false,
      down: ['broker'],
      checks: { database: 'up', broker: 'down', feed: 'down' },
    });
    databaseUp = false;
    expect((await readiness.check()).down).toEqual(['database', 'broker']);
  });

  it('counts a probe that does not answer in time as down, and tells it the time is up', async () => {
    let aborted = false;
    const readiness = new Readiness(
      {
        database: {
          probe: (signal) => {
            signal.addEventListener('abort', () => (aborted = true));
            return new Promise<boolean>(() => undefined);
          },
        },
      },
      logger,
      { timeoutMs: 50 },
    );
    // The probe never answers: that the check answers at all is the timeout at work (no stopwatch).
    expect(await readiness.check()).toMatchObject({ ready: false, down: ['database'] });
    expect(aborted).toBe(true);
  });

  it('probes at most once per cache period, however many ask at once', async () => {
    let probes = 0;
    const readiness = new Readiness({ database: { probe: () => ++probes > 0 } }, logger, { cacheMs: 60_000 });
    await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    await readiness.check();
    expect(probes).toBe(1);
  });

  it('logs a dependency once when it goes down and once when it is back', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const capture = createLogger('readiness-test', 'info', { write: (line) => lines.push(JSON.parse(line)) });
    let up = true;
    const readiness = new Readiness({ database: { probe: () => up } }, capture, { cacheMs: 0 });
    await readiness.check();
    up = false;
    await readiness.check();
    await readiness.check();
    up = true;
    await readiness.check();
    expect(lines.map(({ level, msg, reason }) => ({ level, msg, reason }))).toEqual([
      { level: 40, msg: 'database is down: not ready', reason: 'not connected' },
      { level: 30, msg: 'database is back', reason: undefined },
    ]);
  });
});

describe('health endpoints', () => {
  const health = (up: boolean) => ({
    readiness: new Readiness({ database: { probe: () => up } }, logger),
    details: () => ({ lag: 3 }),
  });

  it('answers liveness whatever the dependencies say', async () => {
    expect(await answerHealth('/health/live', health(false))).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers readiness 200 or 503 naming what is down; /health adds the details', async () => {
    expect(await answerHealth('/health/ready', health(true))).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: 'up' } },
    });
    expect(await answerHealth('/health/ready?probe=1', health(false))).toEqual({
      status: 503,
      body: { status: 'unavailable', down: ['database'], checks: { database: 'down' } },
    });
    expect(await answerHealth('/health', health(false))).toEqual({
      status: 503,
      body: { lag: 3, status: 'unavailable', down: ['database'], checks: { database: 'down' } },
    });
    expect(await answerHealth('/healthz', health(true))).toBeUndefined();
  });
});
