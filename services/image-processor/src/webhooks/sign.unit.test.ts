import { createHmac } from 'node:crypto';
import type { WebhookRequested } from '@retail-pulse/shared/contracts';
import { deliveryHeaders, signatureOf } from './sign';

const secret = 'a-secret-of-the-installation';
const body = Buffer.from('{"webhook_id":"w-1","job_id":7,"status":"completed","note":"Ünïcode ✓"}', 'utf8');

describe('webhook signatures', () => {
  it('are sha256= and the hex HMAC-SHA256 of the exact bytes, as a receiver computes it', () => {
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    expect(signatureOf(body, secret)).toBe(`sha256=${expected}`);
    // A known answer (also what `openssl dgst -sha256 -hmac key-of-sixteen-chars` prints for `{}`).
    expect(signatureOf(Buffer.from('{}'), 'key-of-sixteen-chars')).toBe(
      'sha256=45e7072c3b7624b101fbf1d99cef9f8e9dd3c50d654f1843d3edd65e8561e359',
    );
  });

  it('change with a byte of the body or of the secret', () => {
    const altered = Buffer.from(body.toString('utf8').replace('7', '8'), 'utf8');
    expect(signatureOf(altered, secret)).not.toBe(signatureOf(body, secret));
    expect(signatureOf(body, `${secret}x`)).not.toBe(signatureOf(body, secret));
    // Re-serialised JSON is other bytes: receivers must verify the raw body, not a parsed copy.
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 1), 'utf8');
    expect(signatureOf(reserialised, secret)).not.toBe(signatureOf(body, secret));
  });

  it('go out with the webhook id, the event and the attempt', () => {
    const request: WebhookRequested = {
      type: 'WebhookRequested',
      version: 1,
      data: { webhookId: 'w-1', jobId: 7, body: body.toString('utf8'), url: 'https://r.example/', attempt: 3 },
      metadata: { correlationId: '7', occurredAt: '2026-12-01T10:00:00.000Z' },
    };
    expect(deliveryHeaders(request, body, secret)).toEqual({
      'content-type': 'application/json',
      'user-agent': 'retail-pulse-webhooks',
      'X-RP-Signature': signatureOf(body, secret),
      'X-RP-Webhook-Id': 'w-1',
      'X-RP-Event': 'job.settled',
      'X-RP-Delivery-Attempt': '3',
    });
  });
});
