import { formatStreamEvent, takeStreamEvents } from './eventStream';

describe('the event-stream format', () => {
  it('reads back what it writes, skipping comments and retry hints, keeping a partial event', () => {
    const written =
      'retry: 1000\n\n' +
      formatStreamEvent({ id: '1', data: '{"a":1}' }) +
      ': keep-alive\n\n' +
      formatStreamEvent({ data: 'x' }) +
      'id: 3\nda';
    expect(takeStreamEvents(written)).toEqual({
      events: [{ id: '1', data: '{"a":1}' }, { data: 'x' }],
      rest: 'id: 3\nda',
    });
  });
});
