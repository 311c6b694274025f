/**
 * `npm run bench:memory`: the image-processor's memory with large photos in flight. Serves one
 * ~19 MB JPEG (a camera-sized noisy photo) under many URLs, runs the stack as `npm start` does (its
 * default number of images in flight at once, `IMAGE_CONCURRENCY`), submits one job of `--images`
 * of them, and samples the processor's resident memory (VmRSS) every 100 ms: before, at its peak,
 * and 10 s after the job settled.
 * A second phase does the same with TIFFs, a format measured from the whole body.
 *
 *   npm run bench:memory -- [--images 800] [--tiffs 100] [--budget <bytes>]
 *
 * The last line is one JSON object.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { startStack, waitForTerminal } from '../../test/support/stack';
import { createTestEnvironment } from '../../test/support/testEnvironment';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL } from '../local/services';
import { rssBytes } from './procStats';

const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 19)} [memory] ${message}`);
const MiB = 1024 * 1024;

/** A noisy photo of `width`×`height`, as cameras produce: it does not compress to nothing. */
async function noisyImage(width: number, height: number, format: 'jpeg' | 'tiff'): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let state = 7;
  for (let index = 0; index < pixels.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[index] = state >>> 24;
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg({ quality: 92 }).toBuffer() : image.tiff({ compression: 'none' }).toBuffer();
}

const rssOf = (pid: number) => rssBytes(pid) ?? 0;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string', default: '800' },
      tiffs: { type: 'string', default: '100' },
      budget: { type: 'string' },
    },
  });
  const imageCount = Number(values.images);
  const tiffCount = Number(values.tiffs);
  await ensureRabbitMq(say);
  process.env.AMQP_URL ??= LOCAL_AMQP_URL;
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb(say);
  process.env.MONGO_URL ??= 'mongodb://127.0.0.1:27017';

  say('making the photos');
  const jpeg = await noisyImage(4608, 3456, 'jpeg');
  const tiff = await noisyImage(2000, 1500, 'tiff');
  say(`a JPEG of ${(jpeg.length / MiB).toFixed(1)} MiB and a TIFF of ${(tiff.length / MiB).toFixed(1)} MiB`);
  const server = createServer((request, response) => {
    const body = request.url?.startsWith('/large.tiff') ? tiff : jpeg;
    const type = body === tiff ? 'image/tiff' : 'image/jpeg';
    response.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const environment = await createTestEnvironment('bench-memory');
  const stack = await startStack(environment, {
    GPU_DELAY_MIN_MS: '100',
    GPU_DELAY_MAX_MS: '400',
    LOG_LEVEL: 'warn',
    ...(values.budget ? { IMAGE_MEMORY_BUDGET_BYTES: values.budget } : {}),
  });
  const pid = stack.services.get('image-processor')!.child.pid!;
  const phases: Record<
    string,
    { images: number; idleMiB: number; peakMiB: number; afterMiB: number; seconds: number }
  > = {};
  try {
    for (const [name, count, path] of [
      ['jpeg', imageCount, '/large.jpg'],
      ['tiff', tiffCount, '/large.tiff'],
    ] as const) {
      if (count === 0) continue;
      const idle = rssOf(pid);
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
      const started = performance.now();
      const urls = Array.from({ length: count }, (_, index) => `${base}${path}?n=${index}`);
      const response = await fetch(`${stack.baseUrl}/api/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          count: 1,
          visits: [{ store_id: 'S00339218', image_url: urls, visit_time: '2024-01-21T10:00:00Z' }],
        }),
      });
      const { job_id: jobId } = (await response.json()) as { job_id: number };
      const final = await waitForTerminal(stack, jobId, 600_000);
      const seconds = (performance.now() - started) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      clearInterval(sampler);
      const after = rssOf(pid);
      phases[name] = {
        images: count,
        idleMiB: Math.round(idle / MiB),
        peakMiB: Math.round(peak / MiB),
        afterMiB: Math.round(after / MiB),
        seconds: Math.round(seconds * 10) / 10,
      };
      say(
        `${count} ${name} images (${JSON.stringify(final)}) in ${seconds.toFixed(1)} s: processor RSS ` +
          `${phases[name].idleMiB} MiB idle, ${phases[name].peakMiB} MiB peak, ${phases[name].afterMiB} MiB 10 s after`,
      );
    }
  } finally {
    await stack.stopAll();
    await environment.cleanup();
    server.close();
    ferretDb?.kill('SIGTERM');
  }
  console.log(JSON.stringify({ budget: values.budget ?? 'default', ...phases }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
