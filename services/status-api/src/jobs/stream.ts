import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

/**
 * Answers a request with a Server-Sent Events stream and returns it: the headers, no Nagle delay,
 * and first how long a client that loses it should wait before reconnecting.
 */
export function openEventStream(ctx: Context, retryMs: number): PassThrough {
  const stream = new PassThrough();
  ctx.status = 200;
  ctx.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    // Proxies in front (nginx and the like) must not hold the events back.
    'X-Accel-Buffering': 'no',
  });
  ctx.req.socket.setNoDelay(true);
  ctx.body = stream;
  stream.write(`retry: ${retryMs}\n\n`);
  return stream;
}
