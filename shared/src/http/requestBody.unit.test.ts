import { bodyReadError, contentCodingOf } from './requestBody';
import { HttpError } from './errors';

describe('contentCodingOf', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip', 'gzip'],
    [' GZip ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['BR', 'br'],
  ])('%j is %s', (header, coding) => expect(contentCodingOf(header)).toBe(coding));

  it.each(['zstd', 'compress', 'gzip, br', 'identity;q=1', 'gzip\tgzip'])('refuses %j with a 415', (header) => {
    expect(() => contentCodingOf(header)).toThrow(
      expect.objectContaining({
        status: 415,
        body: { error: 'unsupported Content-Encoding: send gzip, deflate, br or none, one at most' },
      }),
    );
  });
});

describe('bodyReadError', () => {
  const zlibError = Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR', errno: -3 });

  it('says a decoder failure is a body that is not what its encoding claims', () => {
    expect(bodyReadError(zlibError, 'gzip')).toMatchObject({
      status: 400,
      body: { error: 'request body is not valid gzip data, as its Content-Encoding says' },
    });
  });

  it('names the limit a decoded body went past', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
      limit: 1024,
    });
    expect(bodyReadError(tooLarge, 'br')).toMatchObject({
      status: 413,
      body: { error: 'request body is too large once decoded (at most 1024 bytes)' },
    });
    expect(bodyReadError(tooLarge, 'identity')).toBe(tooLarge); // answered by its type in errors.ts
  });

  it('passes answers that are already made through', () => {
    const answer = new HttpError(415, { error: 'x' });
    expect(bodyReadError(answer, 'gzip')).toBe(answer);
  });
});
