// Removes what a photo says about its taker before it is stored and published: EXIF (GPS position,
// camera serial number, time), XMP, IPTC, comments. Pure. Only whole metadata segments or chunks
// are dropped; every other byte is kept as it was, so the picture is not re-encoded (no quality loss)
// and still decodes. A file whose structure cannot be walked is refused rather than stored half-clean.
//
//   JPEG  drops APP1 (Exif, XMP), APP2 other than ICC_PROFILE (FlashPix, MPF: its secondary images
//         sit after EOI and carry their own EXIF), APP12 (Ducky/picture info), APP13 (IPTC,
//         Photoshop), COM, and anything after EOI. Keeps APP0 (JFIF), the ICC profile (colours),
//         APP14 (Adobe: colour transform), tables, frames and scans.
//   PNG   drops eXIf, tEXt, iTXt, zTXt, tIME and anything after IEND.
//   WebP  drops EXIF and XMP chunks, clears their VP8X flags and rewrites the RIFF size.
import { sniffImageType } from './image-info.ts';

export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
}

const fail = (message: string): never => {
  throw new ImageFormatError(message);
};

// ---- JPEG ----

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP12 = 0xec;
const APP13 = 0xed;
const COM = 0xfe;
const ICC_PROFILE = Buffer.from('ICC_PROFILE\0', 'latin1');

/** Markers that stand alone, without a length: RST0-7 and TEM. */
const isStandalone = (marker: number) => (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01;

function dropJpegSegment(marker: number, body: Buffer): boolean {
  if (marker === APP1 || marker === APP12 || marker === APP13 || marker === COM) return true;
  if (marker === APP2) return !body.subarray(0, ICC_PROFILE.length).equals(ICC_PROFILE);
  return false;
}

/** The end of entropy-coded data starting at `at`: the next marker other than RST and FF00 stuffing. */
function scanEnd(buf: Buffer, at: number): number {
  for (let i = at; i + 1 < buf.length; i++) {
    if (buf[i] !== 0xff) continue;
    const next = buf[i + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
      i++;
      continue;
    }
    if (next === 0xff) continue; // fill byte before a marker
    return i;
  }
  return fail('JPEG: scan data runs to the end of the file without EOI');
}

function stripJpeg(buf: Buffer): Buffer {
  const kept: Buffer[] = [buf.subarray(0, 2)];
  let at = 2;
  for (;;) {
    if (at >= buf.length) fail('JPEG: ends without EOI');
    if (buf[at] !== 0xff) fail(`JPEG: expected a marker at byte ${at}`);
    let markerAt = at;
    // fill bytes: any number of FF before the marker code
    while (markerAt + 1 < buf.length && buf[markerAt + 1] === 0xff) markerAt++;
    if (markerAt + 1 >= buf.length) fail('JPEG: ends inside a marker');
    const marker = buf[markerAt + 1]!;
    if (marker === EOI) {
      kept.push(buf.subarray(markerAt, markerAt + 2));
      return Buffer.concat(kept); // anything after EOI (trailers, MPF images) is left behind
    }
    if (marker === SOI || marker === 0x00) fail(`JPEG: unexpected marker FF${marker.toString(16).toUpperCase().padStart(2, '0')} at byte ${markerAt}`);
    if (isStandalone(marker)) {
      kept.push(buf.subarray(markerAt, markerAt + 2));
      at = markerAt + 2;
      continue;
    }
    if (markerAt + 4 > buf.length) fail('JPEG: ends inside a segment header');
    const length = buf.readUInt16BE(markerAt + 2);
    const end = markerAt + 2 + length;
    if (length < 2 || end > buf.length) fail(`JPEG: segment FF${marker.toString(16).toUpperCase()} at byte ${markerAt} overruns the file`);
    if (marker === SOS) {
      // the scan header, then entropy-coded data up to the next real marker, kept as they are
      const dataEnd = scanEnd(buf, end);
      kept.push(buf.subarray(markerAt, dataEnd));
      at = dataEnd;
      continue;
    }
    if (!dropJpegSegment(marker, buf.subarray(markerAt + 4, end))) kept.push(buf.subarray(markerAt, end));
    at = end;
  }
}

// ---- PNG ----

const PNG_DROPPED = new Set(['eXIf', 'tEXt', 'iTXt', 'zTXt', 'tIME']);

function stripPng(buf: Buffer): Buffer {
  const kept: Buffer[] = [buf.subarray(0, 8)];
  let at = 8;
  for (;;) {
    if (at + 12 > buf.length) fail('PNG: ends without IEND');
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`PNG: not a chunk type at byte ${at + 4}`);
    if (end > buf.length) fail(`PNG: chunk ${type} at byte ${at} overruns the file`);
    if (!PNG_DROPPED.has(type)) kept.push(buf.subarray(at, end));
    if (type === 'IEND') return Buffer.concat(kept);
    at = end;
  }
}

// ---- WebP ----

const WEBP_DROPPED = new Set(['EXIF', 'XMP ']);
/** VP8X flag bits (first byte of its payload): ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function stripWebp(buf: Buffer): Buffer {
  if (buf.length < 12) fail('WebP: shorter than its RIFF header');
  const riffEnd = 8 + buf.readUInt32LE(4);
  if (riffEnd > buf.length) fail('WebP: the RIFF size is larger than the file');
  const kept: Buffer[] = [];
  let at = 12;
  while (at < riffEnd) {
    if (at + 8 > riffEnd) fail(`WebP: chunk header at byte ${at} overruns the RIFF data`);
    const fourcc = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    // chunks are padded to an even size
    const end = at + 8 + size + (size % 2);
    if (at + 8 + size > riffEnd) fail(`WebP: chunk ${JSON.stringify(fourcc)} at byte ${at} overruns the RIFF data`);
    if (!WEBP_DROPPED.has(fourcc)) {
      const chunk = Buffer.from(buf.subarray(at, Math.min(end, riffEnd)));
      if (fourcc === 'VP8X' && size >= 1) chunk[8] = chunk[8]! & ~(VP8X_EXIF | VP8X_XMP);
      kept.push(chunk);
    }
    at = end;
  }
  const body = Buffer.concat(kept);
  const header = Buffer.from(buf.subarray(0, 12));
  header.writeUInt32LE(4 + body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * The image without its metadata. Throws ImageFormatError when the bytes are not a JPEG, PNG or
 * WebP this can walk from start to end.
 */
export function stripImageMetadata(buf: Buffer): Buffer {
  switch (sniffImageType(buf)) {
    case 'image/jpeg':
      return stripJpeg(buf);
    case 'image/png':
      return stripPng(buf);
    case 'image/webp':
      return stripWebp(buf);
    default:
      return fail('not a JPEG, PNG or WebP image');
  }
}
