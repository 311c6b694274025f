import type { IncomingMessage } from 'node:http';
import { admit, ApiKeys, presentedKey, RateLimiter } from './access';

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

describe('admit', () => {
  const from = (address: string, headers: Record<string, string> = {}) =>
    ({ headers, socket: { remoteAddress: address } }) as unknown as IncomingMessage;

  it('asks a key of the API when keys are configured, and none of the public reference', () => {
    const keys = new ApiKeys('k1');
    const limiter = new RateLimiter(0, 1);
    expect(() => admit(from('10.0.0.1'), keys, limiter)).toThrow('a valid API key is required');
    expect(() => admit(from('10.0.0.1'), keys, limiter, { public: true })).not.toThrow();
    expect(() => admit(from('10.0.0.1', { 'x-api-key': 'k1' }), keys, limiter)).not.toThrow();
  });

  it('counts the public reference against its client address', () => {
    const limiter = new RateLimiter(1, 1, () => 0);
    const keys = new ApiKeys('k1');
    admit(from('10.0.0.1'), keys, limiter, { public: true });
    expect(() => admit(from('10.0.0.1'), keys, limiter, { public: true })).toThrow('too many requests');
    expect(() => admit(from('10.0.0.2'), keys, limiter, { public: true })).not.toThrow();
  });
});
