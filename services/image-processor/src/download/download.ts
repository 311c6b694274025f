import { isIP } from 'node:net';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { redactSecrets } from '@retail-pulse/shared/config';
import { readHeaderSize } from '../process/header';
import { guardedLookup, isRefusedAddress } from './addressGuard';
import { ByteBudget } from './byteBudget';

export interface DownloadLimits {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  allowPrivateNetworks: boolean;
  /** Keep-alive connections per image host. */
  connectionsPerHost: number;
  /** Bytes of bodies held at once across every download in flight (`IMAGE_MEMORY_BUDGET_BYTES`). */
  memoryBudgetBytes: number;
}

/**
 * How far into a body its JPEG or PNG header is looked for. Past that (other formats, or a header
 * this far in) the body is kept whole, for sharp.
 */
const HEADER_SEARCH_BYTES = 1024 * 1024;

/**
 * What went wrong with a download, as a fact about the attempt. Whether it is worth another
 * attempt is not said here: the retry policy (process/retryPolicy.ts) judges it by the kind.
 */
export type DownloadFailure =
  | { kind: 'http_status'; status: number }
  | {
      kind:
        | 'invalid_url'
        | 'unsupported_scheme'
        | 'forbidden_address'
        | 'too_many_redirects'
        | 'wrong_content_type'
        | 'too_many_bytes'
        // the processor held as many bytes of bodies as it may for as long as the download could wait
        | 'memory_budget'
        | 'timeout'
        | 'connect_timeout'
        | 'host_not_found'
        // reset, refused, closed mid-answer: every other failure of the connection
        | 'connection_failed';
    };

/**
 * Why a download did not give an image; the message is for people, `failure` is for code. The
 * message becomes the image's failure reason, which clients read: credentials in the URL it names
 * are redacted here, where every such text is made.
 */
export class DownloadError extends Error {
  constructor(
    readonly failure: DownloadFailure,
    message: string,
  ) {
    super(redactSecrets(message));
  }
}

export interface Downloaded {
  /**
   * As much of the body as measuring needs, as it arrived, in chunks: the first bytes up to the end
   * of a JPEG or PNG header (the rest was read, counted and dropped), or the whole body otherwise.
   */
  chunks: Buffer[];
  /** Bytes of the body in all. */
  size: number;
  /** Bytes of it kept in `chunks`. */
  kept: number;
  contentType: string | undefined;
  finalUrl: string;
  /** Gives the kept bytes back to the memory budget; call once measured. Safe to call again. */
  release: () => void;
}

const ACCEPTED_TYPES = /^(image\/|application\/octet-stream|binary\/octet-stream)/i;

/** Pooled keep-alive HTTP client for image downloads, with every limit enforced. */
export class ImageDownloader {
  private readonly agent: Dispatcher;
  readonly budget: ByteBudget;
  /** Half the download's time: a wait for room fails as itself, before the download times out. */
  private readonly budgetWaitMs: number;

  constructor(private readonly limits: DownloadLimits) {
    this.budget = new ByteBudget(limits.memoryBudgetBytes);
    this.budgetWaitMs = Math.floor(limits.totalTimeoutMs / 2);
    this.agent = new Agent({
      connections: limits.connectionsPerHost,
      keepAliveTimeout: 30_000,
      headersTimeout: limits.totalTimeoutMs,
      bodyTimeout: limits.totalTimeoutMs,
      connect: { timeout: limits.connectTimeoutMs, lookup: guardedLookup(limits.allowPrivateNetworks) },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * The image at `url`, within the download's whole time limit. Its timer is cleared once the body
   * is read: `AbortSignal.timeout` would hold each download's timer and signal for the full limit
   * (15 s by default, so ~15,000 of them at 1,000 images/s), and making one cost 2.5× as much.
   */
  async download(url: string): Promise<Downloaded> {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException('the download took too long', 'TimeoutError')),
      this.limits.totalTimeoutMs,
    );
    try {
      return await this.follow(url, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends the request, follows redirects, reads the final answer's body. */
  private async follow(url: string, signal: AbortSignal): Promise<Downloaded> {
    let current = this.checkUrl(url);
    for (let redirects = 0; ; redirects++) {
      const response = await this.send(current, signal);
      if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location) {
        response.body.resume();
        if (redirects >= this.limits.maxRedirects) {
          throw new DownloadError(
            { kind: 'too_many_redirects' },
            `too many redirects (more than ${this.limits.maxRedirects}) from ${url}`,
          );
        }
        current = this.checkUrl(new URL(String(response.headers.location), current).toString());
        continue;
      }
      return this.readBody(response, current.toString(), signal);
    }
  }

  private checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new DownloadError({ kind: 'invalid_url' }, `not a valid URL: ${raw}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DownloadError({ kind: 'unsupported_scheme' }, `only http and https URLs are fetched: ${raw}`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isRefusedAddress(host, this.limits.allowPrivateNetworks)) {
      throw new DownloadError({ kind: 'forbidden_address' }, `refusing to fetch a private or reserved address: ${raw}`);
    }
    return url;
  }

  private async send(url: URL, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, {
        dispatcher: this.agent,
        signal,
        headers: { 'user-agent': 'retail-pulse-image-processor', accept: 'image/*' },
      });
    } catch (error) {
      throw classifyNetworkError(error, url.toString(), this.limits);
    }
  }

  private async readBody(response: Dispatcher.ResponseData, url: string, signal: AbortSignal): Promise<Downloaded> {
    const { statusCode, headers, body } = response;
    if (statusCode !== 200) {
      body.resume();
      throw new DownloadError({ kind: 'http_status', status: statusCode }, `HTTP ${statusCode} fetching ${url}`);
    }
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
    if (contentType && !ACCEPTED_TYPES.test(contentType)) {
      body.resume();
      throw new DownloadError(
        { kind: 'wrong_content_type' },
        `not an image (Content-Type ${contentType.split(';')[0]}) at ${url}`,
      );
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.limits.maxBytes) {
      // Destroying an undici body emits an abort error; nobody reads it any more.
      body.on('error', () => undefined).destroy();
      throw new DownloadError(
        { kind: 'too_many_bytes' },
        `image is ${declared} bytes, above the ${this.limits.maxBytes}-byte limit: ${url}`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let kept = 0;
    let headerKept = false;
    const release = () => {
      this.budget.release(kept);
      kept = 0;
    };
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.limits.maxBytes) {
          body.destroy();
          throw new DownloadError(
            { kind: 'too_many_bytes' },
            `image is larger than the ${this.limits.maxBytes}-byte limit: ${url}`,
          );
        }
        if (headerKept) continue; // read to the end, as a download does, but not held
        if (!(await this.budget.take(chunk.length, this.budgetWaitMs))) {
          body.on('error', () => undefined).destroy();
          throw new DownloadError(
            { kind: 'memory_budget' },
            `the processor held its whole memory budget (${this.budget.total} bytes) for ${this.budgetWaitMs} ms: ${url}`,
          );
        }
        chunks.push(chunk);
        kept += chunk.length;
        if (kept <= HEADER_SEARCH_BYTES) {
          headerKept = readHeaderSize(chunks.length === 1 ? chunk : Buffer.concat(chunks)) !== undefined;
        }
      }
    } catch (error) {
      release();
      if (error instanceof DownloadError) throw error;
      throw classifyNetworkError(signal.aborted ? signal.reason : error, url, this.limits);
    }
    return { chunks, size, kept, contentType, finalUrl: url, release };
  }
}

function classifyNetworkError(error: unknown, url: string, limits: DownloadLimits): DownloadError {
  if (error instanceof DownloadError) return error;
  const code = (error as { code?: string }).code ?? '';
  const name = (error as { name?: string }).name ?? '';
  if (code === 'EFORBIDDENADDRESS' || (error as { cause?: { code?: string } }).cause?.code === 'EFORBIDDENADDRESS') {
    return new DownloadError({ kind: 'forbidden_address' }, `refusing to fetch a private or reserved address: ${url}`);
  }
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  ) {
    return new DownloadError({ kind: 'timeout' }, `download timed out after ${limits.totalTimeoutMs} ms: ${url}`);
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return new DownloadError(
      { kind: 'connect_timeout' },
      `connecting timed out after ${limits.connectTimeoutMs} ms: ${url}`,
    );
  }
  if (code === 'ENOTFOUND') return new DownloadError({ kind: 'host_not_found' }, `host not found: ${url}`);
  const detail = code || (error instanceof Error ? error.message : String(error));
  return new DownloadError({ kind: 'connection_failed' }, `download failed (${detail}): ${url}`);
}
