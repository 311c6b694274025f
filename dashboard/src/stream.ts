import { takeStreamEvents } from '@retail-pulse/shared/contracts/eventStream';
import { apiFetch } from './api';
import { apiKey } from './apiKey';

export type StreamState = 'connecting' | 'live' | 'retrying' | 'ended';

export interface StreamHandlers {
  onEvent: (data: string) => void;
  onState?: (state: StreamState) => void;
  /** Whether a stream the server ended is to be opened again (a job's stream ends once it settled). */
  reconnect: () => boolean;
  /** The route refused the request for good (a 4xx other than 401: an unknown job): the stream stops. */
  onRefused?: (status: number, message: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows a Server-Sent Events route with fetch rather than EventSource, because an EventSource
 * cannot send the API key header. Reconnects as an EventSource does (with `Last-Event-ID`), backing
 * off while the gateway is away, and waits for a key after a 401. Returns a function that stops it.
 */
export function followEvents(path: string, handlers: StreamHandlers): () => void {
  const stopped = new AbortController();
  let lastEventId: string | undefined;
  void (async () => {
    let delay = 1_000;
    while (!stopped.signal.aborted) {
      handlers.onState?.('connecting');
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
        const response = await apiFetch(path, { headers, signal: stopped.signal });
        if (response.status === 204) break; // nothing more will come
        if (response.status === 401) {
          await Promise.race([apiKey.given(), sleep(60_000, stopped.signal)]);
          continue;
        }
        if (response.status >= 400 && response.status < 500) {
          const body = (await response.json().catch(() => ({}))) as { error?: string };
          handlers.onRefused?.(response.status, body.error ?? `HTTP ${response.status}`);
          break;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        handlers.onState?.('live');
        delay = 1_000;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffered = '';
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          const taken = takeStreamEvents(buffered + decoder.decode(chunk.value, { stream: true }));
          buffered = taken.rest;
          for (const event of taken.events) {
            if (event.id !== undefined) lastEventId = event.id;
            handlers.onEvent(event.data);
          }
        }
        if (!handlers.reconnect()) break;
      } catch {
        if (stopped.signal.aborted) return;
      }
      handlers.onState?.('retrying');
      await sleep(delay, stopped.signal);
      delay = Math.min(delay * 2, 15_000);
    }
    if (!stopped.signal.aborted) handlers.onState?.('ended');
  })();
  return () => stopped.abort();
}
