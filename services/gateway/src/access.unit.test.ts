import type { IncomingMessage } from 'node:http';
import { ApiKeys, presentedKey, RateLimiter } from './access';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('ApiKeys', () => {
  it('allows everything when no keys are configured', () => {
    expect(new ApiKeys(undefined).allows(undefined)).toBe(true);
    expect(new ApiKeys(' , ').enabled).toBe(false);
  });

  it('allows only the configured keys', () => {
    const keys = new ApiKeys('alpha, beta');
    expect(keys.allows('alpha')).toBe(true);
    expect(keys.allows('beta')).toBe(true);
    expect(keys.allows('alph')).toBe(false);
    expect(keys.allows(undefined)).toBe(false);
  });

  it('reads the key from X-API-Key or a bearer token', () => {
    expect(presentedKey(request({ 'x-api-key': 'k1' }))).toBe('k1');
    expect(presentedKey(request({ authorization: 'Bearer k2' }))).toBe('k2');
    expect(presentedKey(request({ authorization: 'Basic abc' }))).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the wait, then refills at the rate', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([undefined, undefined, undefined]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBeUndefined();
    now = 500;
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBe(1);
  });

  it('is off at rate 0', () => {
    const limiter = new RateLimiter(0, 0);
    for (let index = 0; index < 100; index++) expect(limiter.take('a')).toBeUndefined();
  });
});
