import sharp from 'sharp';
import { MeasureError, measureImage, perimeterOf } from './measure';

describe('perimeterOf', () => {
  it('is 2 × (width + height)', () => {
    expect(perimeterOf({ width: 640, height: 480 })).toBe(2240);
    expect(perimeterOf({ width: 1, height: 1 })).toBe(4);
  });
});

describe('measureImage', () => {
  const make = (width: number, height: number, format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff') =>
    sharp({ create: { width, height, channels: 3, background: '#123456' } })
      .toFormat(format)
      .toBuffer();

  it.each(['jpeg', 'png', 'webp', 'gif', 'tiff'] as const)('reads the real size of a %s', async (format) => {
    expect(await measureImage([await make(321, 123, format)], 1_000_000)).toEqual({ width: 321, height: 123, format });
  });

  it.each(['jpeg', 'png', 'webp'] as const)(
    'reads a %s whose header arrives split over many chunks',
    async (format) => {
      const bytes = await make(321, 123, format);
      const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, index) =>
        bytes.subarray(index * 7, index * 7 + 7),
      );
      expect(await measureImage(chunks, 1_000_000)).toEqual({ width: 321, height: 123, format });
    },
  );

  it('refuses an empty body as not an image', async () => {
    await expect(measureImage([], 1_000_000)).rejects.toMatchObject({ failure: { kind: 'unreadable_image' } });
  });

  it('refuses bytes that are not an image', async () => {
    const error = await measureImage([Buffer.from('<html></html>')], 1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeasureError);
    expect(error).toMatchObject({ failure: { kind: 'unreadable_image' } });
  });

  it('refuses an image above the pixel limit without decoding it', async () => {
    const error = await measureImage([await make(200, 200, 'png')], 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeasureError);
    expect(error).toMatchObject({
      failure: { kind: 'too_many_pixels' },
      message: 'image is 200x200 pixels, above the 10000-pixel limit',
    });
  });
});
