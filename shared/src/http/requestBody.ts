import { HttpError } from './errors';

/** The content codings a request body may arrive in (RFC 9110: case-insensitive; x-gzip is gzip). */
export type ContentCoding = 'identity' | 'gzip' | 'deflate' | 'br';

const codings: Readonly<Record<string, ContentCoding>> = {
  '': 'identity',
  identity: 'identity',
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'br',
};

/**
 * The coding a request's Content-Encoding names, or a 415 before a byte is read. One coding only:
 * a list (`gzip, br`) is refused, like everything else this service does not decode.
 */
export function contentCodingOf(header: string | undefined): ContentCoding {
  const coding = codings[(header ?? '').trim().toLowerCase()];
  if (coding === undefined) {
    throw new HttpError(415, { error: 'unsupported Content-Encoding: send gzip, deflate, br or none, one at most' });
  }
  return coding;
}

/**
 * What a failure while reading a body means to the client. The body parsers' own errors carry a
 * status (and a type, answered in errors.ts); an error without one comes from the stream itself:
 * the decoder refusing bytes that are not what Content-Encoding claims, or the request breaking off.
 */
export function bodyReadError(error: unknown, coding: ContentCoding): unknown {
  if (error instanceof HttpError) return error;
  const { status, type, limit } = (error ?? {}) as { status?: unknown; type?: unknown; limit?: unknown };
  if (type === 'entity.too.large' && coding !== 'identity' && typeof limit === 'number') {
    return new HttpError(413, { error: `request body is too large once decoded (at most ${limit} bytes)` });
  }
  if (status !== undefined) return error;
  if (coding !== 'identity') {
    return new HttpError(400, { error: `request body is not valid ${coding} data, as its Content-Encoding says` });
  }
  return new HttpError(400, { error: 'request body was cut short' });
}
