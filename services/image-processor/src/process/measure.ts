import sharp from 'sharp';
import { DownloadError } from '../download/download';
import { readHeaderSize } from './header';

export interface ImageSize {
  width: number;
  height: number;
  format: string;
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
    throw new DownloadError(
      'too_large',
      `image is ${size.width}x${size.height} pixels, above the ${maxPixels}-pixel limit`,
      false,
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
    throw new DownloadError('not_an_image', `not an image (${(error as Error).message})`, false);
  }
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  if (!width || !height || !metadata.format)
    throw new DownloadError('not_an_image', 'not an image (no dimensions)', false);
  return { width, height, format: metadata.format };
}
