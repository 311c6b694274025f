import type { IncomingMessage } from 'node:http';

/** Past this, the rest of a refused body is not read: the connection is cut instead. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops what is left of a body that will not be used, so that the connection can carry
 * the next request: a body left half-read would stall every later request on a kept-alive
 * connection. Returns false when the rest is not worth reading (a declared length past 64 MiB),
 * and the connection is to close after the answer; bodies that turn out longer are cut off.
 */
export function discardRequestBody(request: IncomingMessage): boolean {
  if (request.complete || request.destroyed) return true;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > DISCARD_LIMIT_BYTES) return false;
  request.unpipe();
  let discarded = 0;
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) request.socket.destroy();
  });
  request.resume();
  return true;
}
