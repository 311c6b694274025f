import { parseJobId, statusBodyOf } from './query';

describe('job status answers', () => {
  it.each([
    ['1', 1],
    ['123', 123],
    ['007', 7],
  ])('reads job id %j', (raw, expected) => expect(parseJobId(raw)).toBe(expected));

  it.each([undefined, '', '0', '-1', '1.5', '1e3', 'abc', ' 1', '9999999999999999', ['1', '2']])(
    'refuses job id %j',
    (raw) => expect(parseJobId(raw)).toBeUndefined(),
  );

  it('shapes each status exactly as the API promises', () => {
    expect(JSON.stringify(statusBodyOf(5, { state: 'ongoing' }))).toBe('{"status":"ongoing","job_id":5}');
    expect(JSON.stringify(statusBodyOf(5, { state: 'completed' }))).toBe('{"status":"completed","job_id":5}');
    const failed = { state: 'failed' as const, failures: [{ storeId: 'S1', reason: 'x' }] };
    expect(JSON.stringify(statusBodyOf(5, failed))).toBe(
      '{"status":"failed","job_id":5,"error":[{"store_id":"S1","error":"x"}]}',
    );
  });
});
