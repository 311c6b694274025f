import sharp from 'sharp';
import { readHeaderSize } from './header';

export interface ImageSize {
  width: number;
  height: number;
  format: string;
}

/** What is wrong with a body that downloaded fine: it is not an image, or it is too big to accept. */
export interface MeasureFailure {
  kind: 'unreadable_image' | 'too_many_pixels';
}

/** Why a downloaded body could not be measured; the message is for people, `failure` is for code. */
export class MeasureError extends Error {
  constructor(
    readonly failure: MeasureFailure,
    message: string,
  ) {
    super(message);
  }
}

/** 2 × (width + height), in pixels. */
export function perimeterOf(size: { width: number; height: number }): number {
  return 2 * (size.width + size.height);
}

/**
 * Reads an image's real size from its header (no pixel decoding): JPEG and PNG headers
 * directly, every other format — and any header that reader does not fully understand — with
 * sharp. Multi-page images (animated GIF, multi-page TIFF) are measured by their first page.
 */
export async function measureImage(chunks: Buffer[], maxPixels: number): Promise<ImageSize> {
  // The header is nearly always within the first chunk; only otherwise is the body joined.
  let size: ImageSize | undefined = readHeaderSize(chunks[0] ?? Buffer.alloc(0));
  if (!size) {
    const whole = Buffer.concat(chunks);
    size = (chunks.length > 1 ? readHeaderSize(whole) : undefined) ?? (await measureWithSharp(whole));
  }
  if (size.width * size.height > maxPixels) {
    throw new MeasureError(
      { kind: 'too_many_pixels' },
      `image is ${size.width}x${size.height} pixels, above the ${maxPixels}-pixel limit`,
    );
  }
  return size;
}

async function measureWithSharp(bytes: Buffer): Promise<ImageSize> {
  let metadata: sharp.Metadata;
  try {
    // Header parse only, never a decode; the pixel limit is checked by the caller so it gets its own reason.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new MeasureError({ kind: 'unreadable_image' }, `not an image (${(error as Error).message})`);
  }
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  if (!width || !height || !metadata.format)
    throw new MeasureError({ kind: 'unreadable_image' }, 'not an image (no dimensions)');
  return { width, height, format: metadata.format };
}
