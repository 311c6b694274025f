import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface ServedImage {
  path: string;
  width: number;
  height: number;
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff';
  contentType: string;
}

/** Real images of every supported format, generated with sharp, with sizes the tests know. */
export const SERVED_IMAGES: ServedImage[] = [
  { path: '/img/shelf.jpg', width: 640, height: 480, format: 'jpeg', contentType: 'image/jpeg' },
  { path: '/img/front.png', width: 300, height: 200, format: 'png', contentType: 'image/png' },
  { path: '/img/aisle.webp', width: 1024, height: 768, format: 'webp', contentType: 'image/webp' },
  { path: '/img/sign.gif', width: 120, height: 90, format: 'gif', contentType: 'image/gif' },
  { path: '/img/receipt.tiff', width: 200, height: 800, format: 'tiff', contentType: 'image/tiff' },
];

export interface ImageServer {
  baseUrl: string;
  url: (path: string) => string;
  requests: () => number;
  close: () => Promise<void>;
}

async function render(image: ServedImage): Promise<Buffer> {
  const canvas = sharp({ create: { width: image.width, height: image.height, channels: 3, background: '#3a7' } });
  return canvas.toFormat(image.format).toBuffer();
}

/** A camera-like JPEG: 1280×960 of noise, about 180 KB, like the photos users send (for benchmarks). */
export const PHOTO = { path: '/img/photo.jpg', width: 1280, height: 960 };
async function photo(): Promise<Buffer> {
  let state = 1;
  const pixels = Buffer.alloc(PHOTO.width * PHOTO.height * 3);
  for (let index = 0; index < pixels.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[index] = 64 + ((state >>> 16) & 127);
  }
  return sharp(pixels, { raw: { width: PHOTO.width, height: PHOTO.height, channels: 3 } })
    .blur(1.15)
    .jpeg({ quality: 80 })
    .toBuffer();
}

/**
 * A local HTTP server for the pipeline to download from: the real images above, plus a 404, an
 * HTML page, a truncated JPEG, a redirect to a real image, a server error, and hostile endpoints:
 * one that never answers, one that streams forever, a redirect loop, a redirect to a private
 * address, one answering 503 a given number of times before serving an image, one answering any
 * status asked for (`/img/status-429.jpg`), and one resetting the connection (`/img/reset.jpg`).
 */
export async function startImageServer(): Promise<ImageServer> {
  const bodies = new Map<string, { body: Buffer; contentType: string }>();
  for (const image of SERVED_IMAGES)
    bodies.set(image.path, { body: await render(image), contentType: image.contentType });
  const jpeg = bodies.get('/img/shelf.jpg')!.body;
  bodies.set('/img/photo.jpg', { body: await photo(), contentType: 'image/jpeg' });
  bodies.set('/img/page.html', {
    body: Buffer.from('<html><body>not an image</body></html>'),
    contentType: 'text/html',
  });
  bodies.set('/img/truncated.jpg', { body: jpeg.subarray(0, 20), contentType: 'image/jpeg' });
  let count = 0;
  const flakyCounts = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    count++;
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/img/moved.jpg') {
      response.writeHead(302, { Location: '/img/shelf.jpg' });
      return response.end();
    }
    if (path === '/img/broken-server.jpg') {
      response.writeHead(500);
      return response.end('boom');
    }
    if (path === '/img/never-answers.jpg') return; // holds the connection open, says nothing
    if (path === '/img/reset.jpg') {
      request.socket.resetAndDestroy(); // a TCP RST instead of an answer
      return;
    }
    const status = /^\/img\/status-(\d{3})\.jpg$/.exec(path);
    if (status) {
      response.writeHead(Number(status[1]), { 'Content-Type': 'text/plain' });
      return response.end(`status ${status[1]}`);
    }
    if (path === '/img/endless.jpg') {
      response.writeHead(200, { 'Content-Type': 'image/jpeg' });
      const chunk = Buffer.alloc(64 * 1024, 0xff);
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      return pump();
    }
    if (path === '/img/loop.jpg') {
      response.writeHead(302, { Location: '/img/loop.jpg' });
      return response.end();
    }
    if (path === '/img/to-metadata.jpg') {
      response.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' });
      return response.end();
    }
    const flaky = /^\/img\/flaky-(\d+)-([\w-]+)\.jpg$/.exec(path);
    if (flaky) {
      const seen = (flakyCounts.get(path) ?? 0) + 1;
      flakyCounts.set(path, seen);
      if (seen <= Number(flaky[1])) {
        response.writeHead(503, { 'Content-Type': 'text/plain' });
        return response.end('try later');
      }
      response.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length });
      return response.end(jpeg);
    }
    const served = bodies.get(path);
    if (!served) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      return response.end('not found');
    }
    response.writeHead(200, { 'Content-Type': served.contentType, 'Content-Length': served.body.length });
    response.end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    url: (path) => `${baseUrl}${path}`,
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
