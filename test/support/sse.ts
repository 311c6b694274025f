/** One Server-Sent Event as a client sees it: its id (if it has one) and its data. Comments are skipped. */
export interface SseEvent {
  id?: string;
  data: string;
}

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
  const next = async (): Promise<SseEvent | undefined> => {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event: SseEvent = { data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length === 0) continue; // a comment (keep-alive) or a retry hint
        event.data = data.join('\n');
        return event;
      }
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
      if (chunk.done) return undefined;
      buffered += decoder.decode(chunk.value, { stream: true });
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
