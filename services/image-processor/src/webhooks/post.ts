import { isIP } from 'node:net';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { redactSecrets } from '@retail-pulse/shared/config';
import { guardedLookup, isRefusedAddress } from '../download/addressGuard';

export interface WebhookClientLimits {
  /** The whole POST, from connecting to the answer's status line and headers. */
  timeoutMs: number;
  /** Bytes of an answer's body read (and dropped) before the connection is closed instead. */
  maxResponseBytes: number;
  /** The same switch as image downloads' (`IMAGE_ALLOW_PRIVATE_NETWORKS`): development and tests only. */
  allowPrivateNetworks: boolean;
}

/** Connecting gets at most this long of the POST's time. */
const CONNECT_TIMEOUT_MS = 5_000;

/** What one POST found: the receiver answered (any status), or it could not be reached, and why. */
export type PostOutcome =
  { type: 'answered'; status: number } | { type: 'failed'; failure: PostFailure; reason: string };

export type PostFailure = {
  kind:
    | 'invalid_url'
    | 'unsupported_scheme'
    | 'forbidden_address'
    | 'timeout'
    | 'connect_timeout'
    | 'host_not_found'
    // refused, reset, closed before answering: every other failure of the connection
    | 'connection_failed';
};

/**
 * POSTs webhook bodies: a pooled keep-alive client whose every connection passes the address guard
 * image downloads use. Redirects are not followed (an answer of 3xx is an answer, and the policy
 * judges it): a POST moved elsewhere is the receiver's configuration to fix, not ours to guess.
 */
export class WebhookClient {
  private readonly agent: Dispatcher;

  constructor(private readonly limits: WebhookClientLimits) {
    this.agent = new Agent({
      connections: 16,
      keepAliveTimeout: 4_000,
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
      connect: {
        timeout: Math.min(CONNECT_TIMEOUT_MS, limits.timeoutMs),
        lookup: guardedLookup(limits.allowPrivateNetworks),
      },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Sends `body` as it is; never throws: every way it can go is an outcome. */
  async post(rawUrl: string, body: Buffer, headers: Record<string, string>): Promise<PostOutcome> {
    const shown = redactSecrets(rawUrl);
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return failed('invalid_url', `not a valid URL: ${shown}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return failed('unsupported_scheme', `only http and https callback URLs are called: ${shown}`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isRefusedAddress(host, this.limits.allowPrivateNetworks)) {
      return failed('forbidden_address', `refusing to call back a private or reserved address: ${shown}`);
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.limits.timeoutMs),
        headers: { ...headers, 'content-length': String(body.length) },
        body,
      });
    } catch (error) {
      return classify(error, shown, this.limits.timeoutMs);
    }
    await this.discard(response.body);
    return { type: 'answered', status: response.statusCode };
  }

  /**
   * Reads the answer's body to its end, up to the limit, and drops it: what a receiver says back
   * does not matter, only its status, but a body left unread would keep the connection from
   * being reused. Past the limit (or the time) the connection is closed instead.
   */
  private async discard(body: Dispatcher.ResponseData['body']): Promise<void> {
    let read = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > this.limits.maxResponseBytes) {
          body.on('error', () => undefined).destroy();
          return;
        }
      }
    } catch {
      // The status is what counts, and it arrived.
    }
  }
}

function failed(kind: PostFailure['kind'], reason: string): PostOutcome {
  return { type: 'failed', failure: { kind }, reason };
}

function classify(error: unknown, url: string, timeoutMs: number): PostOutcome {
  const code = (error as { code?: string }).code ?? '';
  const causeCode = (error as { cause?: { code?: string } }).cause?.code ?? '';
  const name = (error as { name?: string }).name ?? '';
  if (code === 'EFORBIDDENADDRESS' || causeCode === 'EFORBIDDENADDRESS') {
    return failed('forbidden_address', `refusing to call back a private or reserved address: ${url}`);
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return failed(
      'connect_timeout',
      `connecting timed out after ${Math.min(CONNECT_TIMEOUT_MS, timeoutMs)} ms: ${url}`,
    );
  }
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  ) {
    return failed('timeout', `no answer within ${timeoutMs} ms from ${url}`);
  }
  if (code === 'ENOTFOUND' || causeCode === 'ENOTFOUND') return failed('host_not_found', `host not found: ${url}`);
  const detail = code || causeCode || (error instanceof Error ? error.message : String(error));
  return failed('connection_failed', `could not deliver (${detail}) to ${url}`);
}
