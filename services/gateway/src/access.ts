import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '@retail-pulse/shared/http';

/** The key a request presents: `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
export function presentedKey(request: IncomingMessage): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return bearer?.[1];
}

/** API keys from `API_KEYS` (comma-separated). No keys configured: every request is allowed. */
export class ApiKeys {
  private readonly keys: Buffer[];

  constructor(list: string | undefined) {
    this.keys = (list ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '')
      .map((key) => Buffer.from(key));
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  allows(key: string | undefined): boolean {
    if (!this.enabled) return true;
    if (key === undefined) return false;
    const candidate = Buffer.from(key);
    // Compare against every key in constant time per key, so timing does not reveal a prefix.
    return this.keys.some((known) => known.length === candidate.length && timingSafeEqual(known, candidate));
  }
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Per-client token buckets: `ratePerSecond` requests per second on average, bursts up to `burst`.
 * A rate of 0 turns limiting off. Idle clients are forgotten, so memory stays bounded.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `client`: undefined when allowed, else the seconds to wait. */
  take(client: string): number | undefined {
    if (this.ratePerSecond <= 0) return undefined;
    const now = this.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.burst, updatedAt: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSecond);
    bucket.updatedAt = now;
    this.buckets.set(client, bucket);
    if (this.buckets.size > 100_000) this.forgetIdle(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }

  private forgetIdle(now: number): void {
    const full = (this.burst / this.ratePerSecond) * 1000;
    for (const [client, bucket] of this.buckets) if (now - bucket.updatedAt > full) this.buckets.delete(client);
  }
}

/**
 * Lets a request in, or throws the answer: 401 without a valid key (when keys are configured),
 * 429 with Retry-After past its client's rate. A client is its key, or its address without keys.
 *
 * A `public` resource (the API's document and reference page) needs no key: it describes the
 * contract, holds no data, and a browser opening /docs cannot send a header on navigation. It
 * still counts against its client's rate, by address.
 */
export function admit(
  request: IncomingMessage,
  apiKeys: ApiKeys,
  rateLimiter: RateLimiter,
  access: { public: boolean } = { public: false },
): void {
  if (access.public) return limit(rateLimiter, `ip:${request.socket.remoteAddress ?? ''}`);
  const key = requireKey(request, apiKeys);
  limit(rateLimiter, apiKeys.enabled ? `key:${key}` : `ip:${request.socket.remoteAddress ?? ''}`);
}

/** The key a request presents, or the 401 when keys are configured and it presents no valid one. */
export function requireKey(request: IncomingMessage, apiKeys: ApiKeys): string | undefined {
  const key = presentedKey(request);
  if (!apiKeys.allows(key)) {
    throw new HttpError(
      401,
      { error: 'a valid API key is required (X-API-Key header or Authorization: Bearer)' },
      { 'WWW-Authenticate': 'Bearer' },
    );
  }
  return key;
}

function limit(rateLimiter: RateLimiter, client: string): void {
  const waitSeconds = rateLimiter.take(client);
  if (waitSeconds !== undefined) {
    throw new HttpError(429, { error: 'too many requests; slow down' }, { 'Retry-After': String(waitSeconds) });
  }
}
