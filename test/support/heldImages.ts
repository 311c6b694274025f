import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/** A real JPEG of 640 × 480 (perimeter 2240), as every held download answers once released. */
export const HELD_IMAGE = { width: 640, height: 480, perimeter: 2240 };

export interface HeldImages {
  /** A URL of this server: its download waits until `release`. */
  url: (name: string) => string;
  /** Downloads asked for so far, each counted once it arrived. */
  requests: () => number;
  /** Downloads waiting now. */
  waiting: () => number;
  /** Answers every waiting download, and every later one at once. */
  release: () => void;
  close: () => Promise<void>;
}

/**
 * An image server whose downloads wait until the test releases them: holds a job ongoing on
 * purpose (to cancel it, or to watch it run) without any timing.
 */
export async function startHeldImages(): Promise<HeldImages> {
  const jpeg = await sharp({
    create: { width: HELD_IMAGE.width, height: HELD_IMAGE.height, channels: 3, background: '#a73' },
  })
    .jpeg()
    .toBuffer();
  const held: ServerResponse[] = [];
  let released = false;
  let requests = 0;
  const answer = (response: ServerResponse) =>
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg);
  const server = createServer((_request, response) => {
    requests++;
    if (released) answer(response);
    else held.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${base}/held/${name}`,
    requests: () => requests,
    waiting: () => held.length,
    release: () => {
      released = true;
      for (const response of held.splice(0)) answer(response);
    },
    close: () =>
      new Promise((resolve) => {
        released = true;
        for (const response of held.splice(0)) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
