import { aJobSubmitted } from '../../../test/support/builders';
import { domainEventSchema, storedEventSchema, subjectConflict } from './events';
import { webhookRequestedSchema } from './webhooks';

describe("a JobSubmitted's callback URL", () => {
  it('is kept when the submit named one, and absent otherwise, in every schema', () => {
    const withCallback = aJobSubmitted({ jobId: 7, callbackUrl: 'https://receiver.example/hooks' });
    const without = aJobSubmitted({ jobId: 7 });
    for (const schema of [domainEventSchema, storedEventSchema]) {
      expect(schema.parse(withCallback)).toEqual(withCallback);
      expect(schema.parse(without)).toEqual(without);
      expect(schema.parse(without).data).not.toHaveProperty('callbackUrl');
    }
  });

  it('is part of what a submission is: the same job id with another callback URL is another job', () => {
    const first = aJobSubmitted({ jobId: 7, callbackUrl: 'https://receiver.example/a' });
    expect(subjectConflict(first, first)).toBeUndefined();
    expect(subjectConflict(first, aJobSubmitted({ jobId: 7, callbackUrl: 'https://receiver.example/b' }))).toMatch(
      /about another job submission/,
    );
  });
});

describe('the WebhookRequested command', () => {
  const command = {
    type: 'WebhookRequested',
    version: 1,
    data: { webhookId: 'w', jobId: 7, body: '{"webhook_id":"w"}', url: 'https://receiver.example/', attempt: 1 },
    metadata: { correlationId: '7', occurredAt: '2026-12-02T01:35:29.306Z' },
  };

  it('carries the body as text, and an attempt from 1', () => {
    expect(webhookRequestedSchema.parse(command)).toEqual(command);
    expect(webhookRequestedSchema.safeParse({ ...command, data: { ...command.data, body: {} } }).success).toBe(false);
    expect(webhookRequestedSchema.safeParse({ ...command, data: { ...command.data, attempt: 0 } }).success).toBe(false);
  });
});
