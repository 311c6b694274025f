import { context } from '@opentelemetry/api';
import { createLogger } from '@retail-pulse/shared/config';
import type { ImageRequests } from '@retail-pulse/shared/contracts';
import type { Broker, Delivery } from '@retail-pulse/shared/messaging';
import { anImageRequested } from '../../../../test/support/builders';
import { ImageSlots, ImageWorkHandler, workPrefetch } from './imageWork';

const logger = createLogger('image-work-test', 'silent' as 'info');

const request = (imageIndex: number) => anImageRequested({ jobId: 3, imageIndex });

const firstDelivery = { deliveryCount: 0, traceContext: context.active() } as Delivery;

describe('ImageSlots', () => {
  it('works on at most its limit at once, and on every one in the end', async () => {
    const slots = new ImageSlots(2);
    let running = 0;
    let most = 0;
    const finished: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        slots.run(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve));
          running--;
          finished.push(index);
        }),
      ),
    );
    expect(most).toBe(2);
    expect(finished.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(slots.inUse).toBe(0);
  });

  it('frees the slot of work that failed', async () => {
    const slots = new ImageSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(slots.run(() => Promise.resolve('yes'))).resolves.toBe('yes');
  });
});

describe('ImageWorkHandler', () => {
  it('works on every image of a message, and only on those not done when it is handled again', async () => {
    const seen: string[] = [];
    let failOnce = true;
    const handler = new ImageWorkHandler(
      undefined as unknown as Broker, // only a message delivered again needs the broker
      new ImageSlots(10),
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
      new ImageSlots(1),
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
