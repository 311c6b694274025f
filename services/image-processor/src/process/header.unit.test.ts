import sharp from 'sharp';
import { readHeaderSize } from './header';

const noise = (width: number, height: number) => {
  const pixels = Buffer.alloc(width * height * 3);
  for (let index = 0; index < pixels.length; index++) pixels[index] = (index * 7919) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } });
};

/** Images as cameras and phones send them: progressive, with EXIF and an ICC profile, with alpha. */
async function samples(): Promise<Array<[string, Buffer]>> {
  return [
    ['baseline JPEG', await noise(641, 479).jpeg().toBuffer()],
    ['progressive JPEG', await noise(300, 1000).jpeg({ progressive: true }).toBuffer()],
    [
      'JPEG with EXIF and an ICC profile',
      await noise(1280, 960)
        .withMetadata({ exif: { IFD0: { Make: 'Phone', Model: 'X' } } })
        .withIccProfile('srgb')
        .jpeg({ quality: 80 })
        .toBuffer(),
    ],
    ['PNG', await noise(300, 200).png().toBuffer()],
    ['PNG with alpha', await noise(17, 3).ensureAlpha().png().toBuffer()],
  ];
}

async function sharpSize(bytes: Buffer) {
  const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  return { width: metadata.width, height: metadata.pageHeight ?? metadata.height, format: metadata.format };
}

describe('readHeaderSize', () => {
  it('reads the same size and format as sharp for JPEG and PNG', async () => {
    for (const [name, bytes] of await samples()) {
      const size = readHeaderSize(bytes);
      expect({ name, size }).toEqual({ name, size: await sharpSize(bytes) });
    }
  });

  it('never reads a size from a prefix that sharp would not measure the same way', async () => {
    let read = 0;
    for (const [name, bytes] of await samples()) {
      for (const length of [0, 1, 2, 3, 4, 6, 10, 13, 20, 24, 32, 33, 64, 100, 200, 400, 1_000, 4_000]) {
        const prefix = bytes.subarray(0, Math.min(length, bytes.length));
        const size = readHeaderSize(prefix);
        if (!size) continue;
        read++;
        expect({ name, length, size }).toEqual({ name, length, size: await sharpSize(prefix) });
      }
    }
    expect(read).toBeGreaterThan(0);
  });

  it('accepts a header exactly where sharp starts to: the bytes around the shortest prefix it reads', async () => {
    for (const [name, bytes] of await samples()) {
      let shortest = 0;
      while (shortest <= bytes.length && !readHeaderSize(bytes.subarray(0, shortest))) shortest++;
      expect(shortest).toBeLessThan(bytes.length);
      for (let length = shortest - 3; length <= shortest + 3; length++) {
        const prefix = bytes.subarray(0, length);
        const size = readHeaderSize(prefix);
        expect({ name, length, read: size !== undefined }).toEqual({ name, length, read: length >= shortest });
        if (size) expect({ name, length, size }).toEqual({ name, length, size: await sharpSize(prefix) });
      }
      // One byte short of it, sharp cannot measure the image either.
      await expect(sharpSize(bytes.subarray(0, shortest - 1))).rejects.toThrow();
    }
  });

  it('leaves other formats and anything it does not understand to sharp', async () => {
    for (const bytes of [
      await noise(64, 48).webp().toBuffer(),
      await noise(64, 48).tiff().toBuffer(),
      await noise(64, 48).gif().toBuffer(),
      Buffer.from('<html><body>not an image</body></html>'),
      Buffer.alloc(0),
      Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08]), // image data before any frame header
      Buffer.from([0xff, 0xd8, 0x00, 0x00, 0x00, 0x00]), // not at a marker
    ]) {
      expect(readHeaderSize(bytes)).toBeUndefined();
    }
  });

  it('gives no size when the frame header defers the height (DNL)', () => {
    // SOI, then SOF0: length 11, precision 8, height 0, width 16, one component.
    const bytes = Buffer.from([
      0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00,
    ]);
    expect(readHeaderSize(bytes)).toBeUndefined();
  });
});
