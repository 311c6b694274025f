import { takeStreamEvents, type StreamEvent } from '@retail-pulse/shared/contracts';

/** One Server-Sent Event as a client sees it: its id (if it has one) and its data. Comments are skipped. */
export type SseEvent = StreamEvent;

export interface SseStream {
  status: number;
  contentType: string | null;
  /** The next event, or undefined once the server ended the stream. */
  next: () => Promise<SseEvent | undefined>;
  close: () => Promise<void>;
}

/** Opens `url` as an event stream with fetch, the way an EventSource reads it (text/event-stream framing). */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const ready: SseEvent[] = [];
  const next = async (): Promise<SseEvent | undefined> => {
    for (;;) {
      const event = ready.shift();
      if (event) return event;
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
      if (chunk.done) return undefined;
      const taken = takeStreamEvents(buffered + decoder.decode(chunk.value, { stream: true }));
      ready.push(...taken.events);
      buffered = taken.rest;
    }
  };
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    next,
    close: async () => {
      controller.abort();
      await reader?.cancel().catch(() => undefined);
    },
  };
}
