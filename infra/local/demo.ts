/**
 * `npm run demo`: the whole stack, as `npm start` runs it, plus what a first try needs — two
 * sample photos served from this machine (http://127.0.0.1:9000/shelf.jpg and /counter.png), the
 * address guard told to allow this machine for image downloads (IMAGE_ALLOW_PRIVATE_NETWORKS,
 * for this stack only), and the README's first job submitted and watched until it settles. The
 * stack keeps running for the README's other examples; Ctrl-C stops what it started.
 *
 *   npm run demo              submit, watch, keep running
 *   npm run demo -- --exit    submit, watch, then stop (exit 1 if the job did not complete)
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { z } from 'zod';
import { env, loadConfig } from '@retail-pulse/shared/config';
import { projectRoot } from './services';

const config = loadConfig(z.object({ PORT: env.int(8080, 1, 65_535), DEMO_IMAGES_PORT: env.int(9000, 1, 65_535) }));
const { values } = parseArgs({ options: { exit: { type: 'boolean', default: false } } });
const api = `http://127.0.0.1:${config.PORT}`;
const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 23)} [demo] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The README's first job, on the demo's photos. */
const job = (images: string) => ({
  count: 2,
  visits: [
    {
      store_id: 'S00339218',
      image_url: [`${images}/shelf.jpg`, `${images}/counter.png`],
      visit_time: '2024-01-21T16:23:40.898Z',
    },
    { store_id: 'S01408764', image_url: [`${images}/shelf.jpg`], visit_time: '2024-01-22T09:10:00Z' },
  ],
});

async function startPhotoServer(port: number) {
  const photos = new Map([
    [
      '/shelf.jpg',
      {
        type: 'image/jpeg',
        body: await sharp({ create: { width: 640, height: 480, channels: 3, background: '#4a8' } })
          .jpeg()
          .toBuffer(),
      },
    ],
    [
      '/counter.png',
      {
        type: 'image/png',
        body: await sharp({ create: { width: 300, height: 200, channels: 3, background: '#a84' } })
          .png()
          .toBuffer(),
      },
    ],
  ]);
  const server = createServer((request, response) => {
    const photo = photos.get((request.url ?? '/').split('?')[0]!);
    if (!photo) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such photo');
      return;
    }
    response.writeHead(200, { 'content-type': photo.type, 'content-length': photo.body.length }).end(photo.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const photos = await startPhotoServer(config.DEMO_IMAGES_PORT).catch((error: unknown) => {
    throw new Error(
      `cannot serve the demo photos on 127.0.0.1:${config.DEMO_IMAGES_PORT} (DEMO_IMAGES_PORT): ${String(error)}`,
    );
  });
  const images = `http://127.0.0.1:${config.DEMO_IMAGES_PORT}`;
  say(`sample photos on ${images}/shelf.jpg and ${images}/counter.png`);
  const stack = spawn(process.execPath, ['--import', 'tsx', 'infra/local/supervisor.ts'], {
    cwd: projectRoot,
    // The photos are on this machine, which the download guard refuses unless told otherwise.
    env: { ...process.env, IMAGE_ALLOW_PRIVATE_NETWORKS: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    photos.close();
    if (stack.exitCode !== null) process.exit(code);
    stack.once('exit', () => process.exit(code));
    stack.kill('SIGINT');
  };
  stack.once('exit', (code) => {
    if (!stopping) {
      photos.close();
      process.exit(code ?? 1);
    }
  });
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  await until('the stack answering', async () => ((await fetch(`${api}/health/ready`)).ok ? true : undefined), 180_000);
  const submitted = await until(
    'a submit taken',
    async () => {
      const response = await fetch(`${api}/api/submit/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job(images)),
      });
      return response.status === 201 ? ((await response.json()) as { job_id: number }) : undefined;
    },
    60_000,
  );
  say(`submitted the README's first job: ${JSON.stringify(submitted)}`);
  let last = '';
  const settled = await until(
    'the job settling',
    async () => {
      const answer = await (await fetch(`${api}/api/status?jobid=${submitted.job_id}`)).text();
      if (answer !== last) say(`GET /api/status?jobid=${submitted.job_id} → ${(last = answer)}`);
      return (JSON.parse(answer) as { status?: string }).status === 'ongoing' ? undefined : answer;
    },
    120_000,
  );
  const visits = await (await fetch(`${api}/api/visits?area=7100015&startdate=2024-01-21&enddate=2024-01-22`)).text();
  say(`GET /api/visits?area=7100015&startdate=2024-01-21&enddate=2024-01-22 → ${visits}`);
  if (values.exit) return stop(JSON.parse(settled).status === 'completed' ? 0 : 1);
  say(`the stack keeps running on ${api} with the photos on ${images}: try the README's examples; Ctrl-C stops it`);
}

main().catch((error: unknown) => {
  say(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
