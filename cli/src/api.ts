import { takeStreamEvents } from '@retail-pulse/shared/contracts';

/**
 * The HTTP API as the CLI uses it: one base URL (the gateway), an optional API key, answers as
 * JSON; any answer that is not 2xx becomes an ApiError carrying the service's own message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long a read keeps asking again while the service answers `503` with a `Retry-After`. */
export const GET_RETRY_SECONDS = 10;

export interface ApiOptions {
  url: string;
  apiKey?: string;
}

export class Api {
  private readonly base: string;

  constructor(private readonly options: ApiOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.apiKey ? { 'x-api-key': this.options.apiKey } : {}), ...extra };
  }

  /**
   * A read. A `503` that names its `Retry-After` (a job accepted and not folded yet, a service
   * restarting) is asked again after that wait, up to `GET_RETRY_SECONDS` in all: a read changes
   * nothing, and `rp job` right after `rp submit` should show the job, not a passing state.
   */
  async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const search = new URLSearchParams(
      Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ).toString();
    const url = `${path}${search ? `?${search}` : ''}`;
    const deadline = Date.now() + GET_RETRY_SECONDS * 1000;
    for (;;) {
      const response = await this.send(url, { headers: this.headers() });
      const wait = Number(response.headers.get('retry-after') ?? Number.NaN);
      if (response.status !== 503 || !(wait >= 0) || Date.now() + wait * 1000 > deadline) {
        return this.answer<T>(response);
      }
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, Math.max(wait * 1000, 100)));
    }
  }

  async post<T>(path: string, body: string, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.send(path, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', ...headers }),
      body,
    });
    return this.answer<T>(response);
  }

  /** The job's Server-Sent Events, each event's data parsed, until the server ends the stream. */
  async *events<T>(path: string): AsyncGenerator<T> {
    const response = await this.send(path, { headers: this.headers({ accept: 'text/event-stream' }) });
    if (response.status === 204) return;
    if (!response.ok) await this.answer(response);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const taken = takeStreamEvents(buffered + decoder.decode(value, { stream: true }));
      buffered = taken.rest;
      for (const event of taken.events) yield JSON.parse(event.data) as T;
    }
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, init);
    } catch (error) {
      const { cause } = error as { cause?: { code?: string; message?: string } };
      const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
      throw new ApiError(0, `cannot reach ${this.base} (${reason}); is the stack running (npm start)?`);
    }
  }

  private async answer<T>(response: Response): Promise<T> {
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = text;
    }
    if (!response.ok) {
      const error = (body as { error?: unknown }).error;
      const message = typeof error === 'string' ? error : `HTTP ${response.status} ${JSON.stringify(body)}`;
      throw new ApiError(response.status, message);
    }
    return body as T;
  }
}
