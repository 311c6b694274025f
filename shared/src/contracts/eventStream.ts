/**
 * The text/event-stream wire format (Server-Sent Events), as the job events route writes it and
 * the CLI and tests read it: events separated by a blank line, `id:` and `data:` fields, comment
 * lines (`: …`) and `retry:` hints carrying no event. Pure.
 */
export interface StreamEvent {
  id?: string;
  data: string;
}

/** One event as the stream carries it. */
export function formatStreamEvent(event: StreamEvent): string {
  return `${event.id !== undefined ? `id: ${event.id}\n` : ''}data: ${event.data}\n\n`;
}

/** The complete events at the start of `buffered`, and what is left after them (a partial event). */
export function takeStreamEvents(buffered: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  let rest = buffered;
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const event: StreamEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) event.id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) continue; // a comment (keep-alive) or a retry hint
    event.data = data.join('\n');
    events.push(event);
  }
  return { events, rest };
}
