import { context } from '@opentelemetry/api';
import { createLogger } from '@retail-pulse/shared/config';
import type { ImageRequests } from '@retail-pulse/shared/contracts';
import type { Broker, Delivery } from '@retail-pulse/shared/messaging';
import { anImageRequested } from '../../../../test/support/builders';
import { WorkSlots } from '../workSlots';
import { ImageWorkHandler, workPrefetch } from './imageWork';

const logger = createLogger('image-work-test', 'silent' as 'info');

const request = (imageIndex: number) => anImageRequested({ jobId: 3, imageIndex });

const firstDelivery = { deliveryCount: 0, traceContext: context.active() } as Delivery;

describe('ImageWorkHandler', () => {
  it('works on every image of a message, and only on those not done when it is handled again', async () => {
    const seen: string[] = [];
    let failOnce = true;
    const handler = new ImageWorkHandler(
      undefined as unknown as Broker, // only a message delivered again needs the broker
      new WorkSlots(10),
      (image) => {
        seen.push(image.data.imageId);
        if (image.data.imageIndex === 1 && failOnce) {
          failOnce = false;
          return Promise.reject(new Error('database restarting'));
        }
        return Promise.resolve();
      },
      logger,
    );
    const work: ImageRequests = {
      type: 'ImageRequests',
      version: 1,
      requests: [0, 1, 2].map((i) => ({ request: request(i) })),
    };
    await expect(handler.handle(work, firstDelivery)).rejects.toThrow('database restarting');
    expect(seen.sort()).toEqual(['3:0:0', '3:0:1', '3:0:2']);
    seen.length = 0;
    await handler.handle(work, firstDelivery);
    expect(seen).toEqual(['3:0:1']);
  });

  it('works on a single request as one image', async () => {
    const seen: string[] = [];
    const handler = new ImageWorkHandler(
      undefined as unknown as Broker,
      new WorkSlots(1),
      (image) => Promise.resolve(void seen.push(image.data.imageId)),
      logger,
    );
    await handler.handle(request(7), firstDelivery);
    expect(seen).toEqual(['3:0:7']);
  });
});

describe('workPrefetch', () => {
  it('holds twice the slots’ worth of images, in messages', () => {
    expect(workPrefetch(400, 10)).toBe(80);
    expect(workPrefetch(10, 10)).toBe(2);
    expect(workPrefetch(400, 1)).toBe(800);
    expect(workPrefetch(1, 100)).toBe(1);
  });
});
