import sharp from 'sharp';
import { PHOTO, SERVED_IMAGES, startImageServer, type ImageServer } from '../../../../test/support/imageServer';
import { readHeaderSize } from '../process/header';
import { DownloadError, ImageDownloader, type DownloadLimits } from './download';

const limits: DownloadLimits = {
  connectTimeoutMs: 2_000,
  totalTimeoutMs: 1_500,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
  allowPrivateNetworks: true,
  connectionsPerHost: 8,
  memoryBudgetBytes: 64 * 1024 * 1024,
};

let server: ImageServer;
const downloaders: ImageDownloader[] = [];
function downloader(overrides: Partial<DownloadLimits> = {}): ImageDownloader {
  const created = new ImageDownloader({ ...limits, ...overrides });
  downloaders.push(created);
  return created;
}

beforeAll(async () => {
  server = await startImageServer();
});
afterAll(async () => {
  await Promise.all(downloaders.map((created) => created.close()));
  await server.close();
});

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DownloadError)) throw new Error(`expected a DownloadError, got ${String(error)}`);
  return error;
}

describe('ImageDownloader against a real HTTP server', () => {
  it.each(SERVED_IMAGES)('downloads $format images byte for byte', async (image) => {
    const downloaded = await downloader().download(server.url(image.path));
    expect(downloaded.contentType).toBe(image.contentType);
    const metadata = await sharp(Buffer.concat(downloaded.chunks)).metadata();
    expect(downloaded.size).toBe(Buffer.concat(downloaded.chunks).length);
    expect([metadata.width, metadata.height]).toEqual([image.width, image.height]);
  });

  it('keeps of a JPEG only the bytes up to the end of its header, reads the rest and drops it', async () => {
    const photos = downloader();
    const downloaded = await photos.download(server.url(PHOTO.path));
    expect(downloaded.size).toBe(174_461);
    expect(downloaded.kept).toBe(Buffer.concat(downloaded.chunks).length);
    expect(downloaded.kept).toBeLessThan(downloaded.size);
    expect(readHeaderSize(Buffer.concat(downloaded.chunks))).toEqual({ width: 1280, height: 960, format: 'jpeg' });
    expect(photos.budget.stats.held).toBe(downloaded.kept);
    downloaded.release();
    downloaded.release(); // again: nothing more is given back
    expect(photos.budget.stats.held).toBe(0);
  });

  it('keeps a body with no header it can read whole, within the memory budget', async () => {
    const tiff = await downloader().download(server.url('/img/receipt.tiff'));
    expect(tiff.kept).toBe(tiff.size);

    // A body that never shows a header holds the whole budget, waits half the download's time for
    // more, then fails as a transient failure of its own, giving every byte back.
    const small = downloader({ memoryBudgetBytes: 256 * 1024, maxBytes: 4 * 1024 * 1024 });
    const error = await failure(small.download(server.url('/img/endless.jpg')));
    expect(error.failure).toEqual({ kind: 'memory_budget' });
    expect(error.message).toMatch(/^the processor held its whole memory budget \(262144 bytes\) for 750 ms: /);
    expect(small.budget.stats).toMatchObject({ held: 0, total: 262_144 });
    expect(small.budget.stats.peak).toBeLessThanOrEqual(262_144);
  });

  it('follows a redirect to the image', async () => {
    const downloaded = await downloader().download(server.url('/img/moved.jpg'));
    expect(downloaded.finalUrl).toBe(server.url('/img/shelf.jpg'));
  });

  it('refuses loopback addresses by default, by literal and by name', async () => {
    const guarded = downloader({ allowPrivateNetworks: false });
    const before = server.requests();
    const literal = await failure(guarded.download(server.url('/img/shelf.jpg')));
    expect(literal.failure).toEqual({ kind: 'forbidden_address' });
    expect(literal.message).toBe(`refusing to fetch a private or reserved address: ${server.url('/img/shelf.jpg')}`);
    const byName = await failure(guarded.download(server.url('/img/shelf.jpg').replace('127.0.0.1', 'localhost')));
    expect(byName.failure).toEqual({ kind: 'forbidden_address' });
    expect(server.requests()).toBe(before);
  });

  it('refuses a redirect to the cloud metadata address even when private networks are allowed', async () => {
    const error = await failure(downloader().download(server.url('/img/to-metadata.jpg')));
    expect(error.failure).toEqual({ kind: 'forbidden_address' });
  });

  it('refuses schemes other than http and https', async () => {
    const error = await failure(downloader().download('file:///etc/passwd'));
    expect(error).toMatchObject({
      failure: { kind: 'unsupported_scheme' },
      message: 'only http and https URLs are fetched: file:///etc/passwd',
    });
  });

  it('stops a redirect loop after the redirect limit', async () => {
    const error = await failure(downloader().download(server.url('/img/loop.jpg')));
    expect(error.failure).toEqual({ kind: 'too_many_redirects' });
    expect(error.message).toBe(`too many redirects (more than 3) from ${server.url('/img/loop.jpg')}`);
  });

  it('reports the status of an answer other than 200, and an HTML page as the wrong content type', async () => {
    expect(await failure(downloader().download(server.url('/img/nope.jpg')))).toMatchObject({
      failure: { kind: 'http_status', status: 404 },
      message: `HTTP 404 fetching ${server.url('/img/nope.jpg')}`,
    });
    expect(await failure(downloader().download(server.url('/img/page.html')))).toMatchObject({
      failure: { kind: 'wrong_content_type' },
      message: `not an image (Content-Type text/html) at ${server.url('/img/page.html')}`,
    });
    for (const status of [408, 429, 500]) {
      const path = status === 500 ? '/img/broken-server.jpg' : `/img/status-${status}.jpg`;
      expect((await failure(downloader().download(server.url(path)))).failure).toEqual({ kind: 'http_status', status });
    }
  });

  it('reports a connection reset by the server as a failed connection', async () => {
    const error = await failure(downloader().download(server.url('/img/reset.jpg')));
    expect(error.failure).toEqual({ kind: 'connection_failed' });
    expect(error.message).toBe(`download failed (ECONNRESET): ${server.url('/img/reset.jpg')}`);
  });

  it('aborts an image larger than the limit', async () => {
    const declared = await failure(downloader({ maxBytes: 500 }).download(server.url('/img/shelf.jpg')));
    expect(declared.failure).toEqual({ kind: 'too_many_bytes' });
    const streamed = await failure(downloader().download(server.url('/img/endless.jpg')));
    expect(streamed.failure).toEqual({ kind: 'too_many_bytes' });
    expect(streamed.message).toBe(`image is larger than the 1048576-byte limit: ${server.url('/img/endless.jpg')}`);
  });

  it('times out a server that never answers', async () => {
    const error = await failure(downloader({ totalTimeoutMs: 300 }).download(server.url('/img/never-answers.jpg')));
    expect(error.failure).toEqual({ kind: 'timeout' });
    expect(error.message).toBe(`download timed out after 300 ms: ${server.url('/img/never-answers.jpg')}`);
  });
});
