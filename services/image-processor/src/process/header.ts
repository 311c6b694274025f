/**
 * Width and height read straight from the header of the two formats store photos come in — JPEG
 * and PNG — without handing the bytes to sharp, whose metadata call was the largest share of the
 * processor's CPU (docs/DATABASE.md has the figure; this takes microseconds). It accepts a
 * header only where sharp would: the whole header must be there, up to the image data, as
 * libjpeg and libpng read it. Anything else, or a header this does not fully understand, gives
 * `undefined` and is measured by sharp instead. Pure.
 */
export interface HeaderSize {
  width: number;
  height: number;
  format: 'jpeg' | 'png';
}

export function readHeaderSize(bytes: Buffer): HeaderSize | undefined {
  return jpegSize(bytes) ?? pngSize(bytes);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * PNG: the signature, the IHDR chunk (length 13) holding width and height, big-endian, then
 * chunks up to the first image data (IDAT), each skipped by its length.
 */
function pngSize(bytes: Buffer): HeaderSize | undefined {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  for (let offset = 33; offset + 8 <= bytes.length;) {
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') return sized(bytes.readUInt32BE(16), bytes.readUInt32BE(20), 'png');
    if (type === 'IEND') return undefined;
    offset += 12 + bytes.readUInt32BE(offset);
  }
  return undefined;
}

/**
 * JPEG: marker segments from the start of the image through the first scan header (SOS), as
 * libjpeg reads a header; the size is the first frame header's (SOF0–SOF15 but DHT, JPG and
 * DAC): height then width, big-endian. Segments are skipped by their length, so a thumbnail
 * inside EXIF data is never mistaken for the image.
 */
function jpegSize(bytes: Buffer): HeaderSize | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let size: HeaderSize | undefined;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a segment
      continue;
    }
    if (marker === 0xd8 || marker === 0xd9) return undefined;
    const length = bytes.readUInt16BE(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) return undefined;
    // The scan header ends the header: a size only if a frame header came before it.
    if (marker === 0xda) return size;
    if (isFrameHeader(marker) && !size) {
      if (length < 8) return undefined;
      size = sized(bytes.readUInt16BE(offset + 7), bytes.readUInt16BE(offset + 5), 'jpeg');
      if (!size) return undefined;
    }
    offset += 2 + length;
  }
  return undefined;
}

function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** A size only when both sides are known (a JPEG may defer its height to a later DNL marker). */
function sized(width: number, height: number, format: HeaderSize['format']): HeaderSize | undefined {
  return width > 0 && height > 0 ? { width, height, format } : undefined;
}
