import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import getRawBody from 'raw-body';
import { bodyReadError, contentCodingOf, HttpError } from '@retail-pulse/shared/http';

/** The decoders the ingest's body parser uses too (co-body's inflation), so both read a body alike. */
const decoders: Record<'gzip' | 'deflate' | 'br', () => Transform> = {
  gzip: () => createUnzip(),
  deflate: () => createUnzip(),
  br: () => createBrotliDecompress(),
};

const tooLarge = (limitBytes: number) =>
  new HttpError(413, { error: `request body is too large (at most ${limitBytes} bytes)` });

/**
 * Reads a request's whole body, decoded, holding at most `limitBytes` of it both as sent and as
 * decoded: a declared length past the limit is refused before a byte is read, and a compression
 * bomb is stopped as soon as its output passes the limit. Every failure is an HttpError (4xx).
 */
export async function readRequestBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const coding = contentCodingOf(request.headers['content-encoding']);
  const declared = request.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && length > limitBytes) throw tooLarge(limitBytes);
  if (coding === 'identity') {
    try {
      return await getRawBody(request, { limit: limitBytes, length });
    } catch (error) {
      throw bodyReadError(error, coding);
    }
  }
  const decoder = decoders[coding]();
  let received = 0;
  const countSent = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limitBytes) decoder.destroy(tooLarge(limitBytes));
  };
  request.on('data', countSent);
  try {
    return await getRawBody(request.pipe(decoder), { limit: limitBytes });
  } catch (error) {
    throw bodyReadError(error, coding);
  } finally {
    request.off('data', countSent);
    request.unpipe(decoder);
    decoder.destroy();
  }
}
