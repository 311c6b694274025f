import { createHmac } from 'node:crypto';
import { JOB_SETTLED_EVENT, webhookHeaders } from '@retail-pulse/shared/contracts/api';
import type { WebhookRequested } from '@retail-pulse/shared/contracts';

/** `sha256=` and the hex HMAC-SHA256 of exactly these bytes, keyed with the installation's secret. */
export function signatureOf(body: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The headers of one attempt at a webhook: the signature of `body`, which is sent byte for byte. */
export function deliveryHeaders(request: WebhookRequested, body: Buffer, secret: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'retail-pulse-webhooks',
    [webhookHeaders.signature]: signatureOf(body, secret),
    [webhookHeaders.id]: request.data.webhookId,
    [webhookHeaders.event]: JOB_SETTLED_EVENT,
    [webhookHeaders.attempt]: String(request.data.attempt),
  };
}
