import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as it came over the wire. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a connection got: every whole response in order, and how it ended. */
export interface RawExchange {
  responses: RawResponse[];
  /** `closed`: the server closed the connection; `open`: still open when we stopped waiting. */
  ending: 'closed' | 'open';
  elapsedMs: number;
}

/** A pause between the parts of what a client sends, in milliseconds. */
export type Pause = number;

/**
 * A client that writes bytes to a server's socket as they are, for what fetch cannot say: lying
 * lengths, broken framing, pipelining, slow or half-sent requests. It reads responses framed by
 * Content-Length (every answer of this service has one), skipping 1xx interim responses.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private readonly responses: RawResponse[] = [];
  private waiters: Array<() => void> = [];
  private readonly startedAt = Date.now();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined); // a reset is an ending like any other: `close` follows
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes `parts` in order, waiting out the pauses between them; stops early if the server closes. */
  async send(parts: ReadonlyArray<string | Buffer | Pause>): Promise<void> {
    for (const part of parts) {
      if (this.ended) return;
      if (typeof part === 'number') await new Promise((resolve) => setTimeout(resolve, part));
      else this.socket.write(part);
    }
  }

  /** Half-closes: the client says it will send nothing more. */
  finishSending(): void {
    if (!this.ended) this.socket.end();
  }

  /** Waits for `count` responses in all, or the server closing, or `timeoutMs`. */
  async waitFor(count: number, timeoutMs: number): Promise<RawExchange> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length < count && !this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return {
      responses: [...this.responses],
      ending: this.ended ? 'closed' : 'open',
      elapsedMs: Date.now() - this.startedAt,
    };
  }

  /** Waits until the server closes, up to `timeoutMs`. */
  waitForClose(timeoutMs: number): Promise<RawExchange> {
    return this.waitFor(Number.POSITIVE_INFINITY, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  private parse(): void {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [statusLine = '', ...lines] = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < headEnd + 4 + length) return;
      const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headEnd + 4 + length);
      if (status >= 200) this.responses.push({ status, headers, body });
      this.wake();
    }
  }
}

/** Opens a connection, sends `parts`, and collects what comes back until `expected` responses, a close, or the timeout. */
export async function exchange(
  port: number,
  parts: ReadonlyArray<string | Buffer | Pause>,
  options: { expected?: number; timeoutMs: number; finishSending?: boolean },
): Promise<RawExchange> {
  const connection = await RawConnection.open(port);
  try {
    await connection.send(parts);
    if (options.finishSending) connection.finishSending();
    return await connection.waitFor(options.expected ?? Number.POSITIVE_INFINITY, options.timeoutMs);
  } finally {
    connection.close();
  }
}

/** A request's bytes: request line, headers (Host added), blank line, body. */
export function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body: string | Buffer = '',
): Buffer {
  const head = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]);
}
