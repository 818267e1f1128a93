// What an uploaded file really is, from its first bytes (the declared Content-Type and file name are
// the sender's claim, not evidence), and its pixel size read from the header. Pure, no decoding:
// JPEG, PNG and WebP only, the three every browser shows.

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export interface ImageInfo {
  type: ImageType;
  /** pixels; undefined when the header does not say (a JPEG whose SOF we could not reach) */
  width?: number;
  height?: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const ascii = (buf: Buffer, at: number, length: number) => (buf.length >= at + length ? buf.toString('latin1', at, at + length) : '');

/** The type by magic bytes: JPEG FF D8 FF, PNG's 8-byte signature, RIFF....WEBP. */
export function sniffImageType(buf: Buffer): ImageType | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 4) === 'WEBP') return 'image/webp';
  return undefined;
}

/** The start-of-frame markers that carry the size: C0-CF except DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegSize(buf: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return undefined;
    const marker = buf[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or scan data before any SOF
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2;
      continue;
    }
    const length = buf.readUInt16BE(at + 2);
    if (isSof(marker)) {
      if (at + 9 > buf.length) return undefined;
      return { height: buf.readUInt16BE(at + 5), width: buf.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return undefined;
}

function pngSize(buf: Buffer): { width: number; height: number } | undefined {
  if (buf.length < 24 || ascii(buf, 12, 4) !== 'IHDR') return undefined;
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** The first chunk says: VP8X (extended: canvas size), VP8L (lossless) or 'VP8 ' (lossy key frame). */
function webpSize(buf: Buffer): { width: number; height: number } | undefined {
  const fourcc = ascii(buf, 12, 4);
  const data = 20;
  if (fourcc === 'VP8X' && buf.length >= data + 10) {
    return { width: buf.readUIntLE(data + 4, 3) + 1, height: buf.readUIntLE(data + 7, 3) + 1 };
  }
  if (fourcc === 'VP8L' && buf.length >= data + 5 && buf[data] === 0x2f) {
    const bits = buf.readUInt32LE(data + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  // 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height (2 bits of scale above each)
  if (fourcc === 'VP8 ' && buf.length >= data + 10 && buf[data + 3] === 0x9d && buf[data + 4] === 0x01 && buf[data + 5] === 0x2a) {
    return { width: buf.readUInt16LE(data + 6) & 0x3fff, height: buf.readUInt16LE(data + 8) & 0x3fff };
  }
  return undefined;
}

/** Type and size of an image, or undefined when the bytes are not JPEG, PNG or WebP. */
export function inspectImage(buf: Buffer): ImageInfo | undefined {
  const type = sniffImageType(buf);
  if (!type) return undefined;
  const size = type === 'image/jpeg' ? jpegSize(buf) : type === 'image/png' ? pngSize(buf) : webpSize(buf);
  return size ? { type, ...size } : { type };
}
