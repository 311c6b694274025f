import { HttpError } from '@retail-pulse/shared/http';
import { parseSubmitRequest } from './request';

const limits = { maxVisitsPerJob: 3, maxImagesPerJob: 4, maxUrlLength: 100 };
const visit = (overrides: Record<string, unknown> = {}) => ({
  store_id: 'S1',
  image_url: ['https://example.com/a.jpg'],
  visit_time: '2024-01-21T16:23:40.898Z',
  ...overrides,
});

function errorOf(body: unknown): { status: number; body: unknown } {
  try {
    parseSubmitRequest(body, limits);
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, body: error.body };
    throw error;
  }
  throw new Error('expected the request to be refused');
}

describe('parseSubmitRequest', () => {
  it('turns a valid body into visits and an image count', () => {
    const request = parseSubmitRequest(
      { count: 2, visits: [visit(), visit({ store_id: 'S2', image_url: ['http://a/1.png', 'http://a/2.png'] })] },
      limits,
    );
    expect(request).toEqual({
      imageCount: 3,
      visits: [
        { storeId: 'S1', visitTime: '2024-01-21T16:23:40.898Z', imageUrls: ['https://example.com/a.jpg'] },
        { storeId: 'S2', visitTime: '2024-01-21T16:23:40.898Z', imageUrls: ['http://a/1.png', 'http://a/2.png'] },
      ],
    });
  });

  it('accepts visit times with an offset', () => {
    expect(
      parseSubmitRequest({ count: 1, visits: [visit({ visit_time: '2024-01-21T16:23:40+05:30' })] }, limits).imageCount,
    ).toBe(1);
  });

  it.each([
    [null, 'request body must be a JSON object with count and visits'],
    [{ count: '1', visits: [visit()] }, 'count: must be an integer'],
    [{ count: 0, visits: [] }, 'count: must be at least 1'],
    [{ count: 1, visits: [] }, 'visits: must hold at least one visit'],
    [{ count: 1, visits: ['x'] }, 'visits[0]: must be an object with store_id, image_url and visit_time'],
    [{ count: 1, visits: [visit({ store_id: 7 })] }, 'visits[0].store_id: must be a string'],
    [
      { count: 1, visits: [visit({ image_url: 'https://e.com/a.jpg' })] },
      'visits[0].image_url: must be an array of image URLs',
    ],
    [
      { count: 1, visits: [visit({ image_url: ['not a url'] })] },
      'visits[0].image_url[0]: must be an http or https URL',
    ],
    [
      { count: 1, visits: [visit({ image_url: [`https://e.com/${'a'.repeat(100)}`] })] },
      'visits[0].image_url[0]: must be at most 100 characters',
    ],
    [
      { count: 1, visits: [visit({ visit_time: '2024-01-21' })] },
      'visits[0].visit_time: must be an RFC 3339 date-time, e.g. 2024-01-21T16:23:40.898Z',
    ],
    [{ count: 3, visits: [visit()] }, 'count (3) does not match the number of visits (1)'],
  ])('refuses %j with 400', (body, message) => {
    expect(errorOf(body)).toEqual({ status: 400, body: { error: message } });
  });

  const storeIdRule = "visits[0].store_id: must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'";

  it("accepts store ids like the real master's, and UUIDs", () => {
    for (const storeId of [
      'RP00001',
      'S00339218',
      'store_7-a',
      'f47ac10b-58cc-4372-a567-0e02b2c3d479',
      'x'.repeat(64),
    ]) {
      expect(parseSubmitRequest({ count: 1, visits: [visit({ store_id: storeId })] }, limits).visits[0]!.storeId).toBe(
        storeId,
      );
    }
  });

  it.each([
    ['empty', ''],
    ['NUL', 'S1\u0000'],
    ['CR/LF', 'S1\r\nX-Injected: yes'],
    ['an ANSI escape', '\u001b[31mS1'],
    ['a bidi override', 'S1\u202Egpj'],
    ['a lone surrogate', 'S1\uD800'],
    ['a space', 'S 1'],
    ['surrounding spaces', ' S1 '],
    ['a look-alike letter', 'S\u04271'],
    ['65 characters', 'x'.repeat(65)],
  ])('refuses a store id with %s, without echoing it', (_what, storeId) => {
    expect(errorOf({ count: 1, visits: [visit({ store_id: storeId })] })).toEqual({
      status: 400,
      body: { error: storeIdRule },
    });
  });

  it.each([
    ['a NUL', 'http://a/b\u0000.jpg'],
    ['CR/LF', 'http://a/b\r\n.jpg'],
    ['a tab', 'http://a/\tb.jpg'],
    ['an ANSI escape', 'http://a/\u001b[31mb.jpg'],
    ['a bidi override', 'http://a/\u202Egpj.exe'],
    ['a lone surrogate', 'http://a/\uDC00.jpg'],
    ['a space', 'http://us er:secret@a/b.jpg'],
  ])('refuses an image URL with %s', (_what, url) => {
    expect(errorOf({ count: 1, visits: [visit({ image_url: [url] })] })).toEqual({
      status: 400,
      body: { error: 'visits[0].image_url[0]: must not contain spaces or control characters (percent-encode them)' },
    });
  });

  it('takes an optional callback_url, and leaves a body without one as it was', () => {
    const url = 'https://receiver.example/hooks/rp?token=abc';
    expect(parseSubmitRequest({ count: 1, visits: [visit()], callback_url: url }, limits).callbackUrl).toBe(url);
    expect(parseSubmitRequest({ count: 1, visits: [visit()], callback_url: 'http://10.0.0.7:8080/' }, limits)).toEqual(
      expect.objectContaining({ callbackUrl: 'http://10.0.0.7:8080/' }),
    );
    expect(parseSubmitRequest({ count: 1, visits: [visit()] }, limits)).not.toHaveProperty('callbackUrl');
  });

  it.each([
    [7, 'callback_url: must be a string'],
    ['', 'callback_url: must be an absolute http or https URL'],
    ['/hooks/rp', 'callback_url: must be an absolute http or https URL'],
    ['ftp://receiver.example/hooks', 'callback_url: must be an absolute http or https URL'],
    ['javascript:alert(1)', 'callback_url: must be an absolute http or https URL'],
    [`https://receiver.example/${'a'.repeat(100)}`, 'callback_url: must be at most 100 characters'],
    [
      'https://receiver.example/a b',
      'callback_url: must not contain spaces or control characters (percent-encode them)',
    ],
    [
      'https://receiver.example/\r\nX: y',
      'callback_url: must not contain spaces or control characters (percent-encode them)',
    ],
    [
      'https://user:secret@receiver.example/hooks',
      'callback_url: must not hold a user name or password (each delivery is signed with X-RP-Signature instead)',
    ],
  ])('refuses the callback_url %j with 400', (callbackUrl, message) => {
    expect(errorOf({ count: 1, visits: [visit()], callback_url: callbackUrl })).toEqual({
      status: 400,
      body: { error: message },
    });
  });

  it('refuses jobs above the configured limits with 413', () => {
    expect(errorOf({ count: 4, visits: [visit(), visit(), visit(), visit()] })).toEqual({
      status: 413,
      body: { error: 'a job may hold at most 3 visits (got 4)' },
    });
    const fiveImages = ['http://a/1', 'http://a/2', 'http://a/3', 'http://a/4', 'http://a/5'];
    expect(errorOf({ count: 1, visits: [visit({ image_url: fiveImages })] })).toEqual({
      status: 413,
      body: { error: 'a job may hold at most 4 images (got 5)' },
    });
  });
});
