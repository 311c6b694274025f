import { createLogger } from './logger';
import { redactSecrets } from './redact';

describe('redactSecrets', () => {
  it.each([
    ['HTTP 404 fetching http://user:pass@images.example/a.jpg', 'HTTP 404 fetching http://***@images.example/a.jpg'],
    ['host not found: https://ghp_token123@cdn.example/x.png', 'host not found: https://***@cdn.example/x.png'],
    ['at http://a%40b:p%3Ass@h:8080/x?y=1', 'at http://***@h:8080/x?y=1'],
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://***@127.0.0.1:5672'],
    [
      'not an image at https://bucket.s3.amazonaws.com/a.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2024&X-Amz-Date=20240121T000000Z&X-Amz-Signature=abc123',
      'not an image at https://bucket.s3.amazonaws.com/a.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20240121T000000Z&X-Amz-Signature=***',
    ],
    [
      'http://h/a.jpg?token=t1&size=large&api_key=k&sig=s&password=p&secret=x&access_token=a#id_token=i',
      'http://h/a.jpg?token=***&size=large&api_key=***&sig=***&password=***&secret=***&access_token=***#id_token=***',
    ],
    [
      'http://h/a.jpg?Signature=s&AWSAccessKeyId=k&Expires=1',
      'http://h/a.jpg?Signature=***&AWSAccessKeyId=***&Expires=1',
    ],
  ])('redacts %s', (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it.each([
    'HTTP 404 fetching http://127.0.0.1:9000/missing.jpg',
    'download timed out after 15000 ms: https://images.example/a.jpg?width=200&format=jpg (after 3 attempts)',
    'mail me at someone@example.com',
    'http://h/search?q=user@example.com',
    'unknown store_id S00339218',
  ])('keeps %s as it is', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  it('redacts every URL of a text', () => {
    expect(redactSecrets('from http://u:p@a/x to https://b/y?key=k')).toBe(
      'from http://***@a/x to https://b/y?key=***',
    );
  });
});

describe('the logger', () => {
  it('writes no credential, in the message or in any field', () => {
    const lines: string[] = [];
    const logger = createLogger('redact-test', 'info', { write: (line) => lines.push(line) });
    logger
      .child({ broker: 'amqp://guest:secret@rabbit:5672' })
      .warn(
        { url: 'http://user:pass@h/a.jpg?token=t', nested: { err: new Error('at https://x:y@h/b').message } },
        'failed http://user:pass@h/a.jpg',
      );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/pass@|secret@|token=t|x:y@/);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      broker: 'amqp://***@rabbit:5672',
      url: 'http://***@h/a.jpg?token=***',
      nested: { err: 'at https://***@h/b' },
      msg: 'failed http://***@h/a.jpg',
    });
  });
});
