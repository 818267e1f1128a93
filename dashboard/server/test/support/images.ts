// Real image bytes for the photo tests: three 16x8 pictures encoded by Chromium (canvas.toDataURL),
// and builders that add what phones add: EXIF with a GPS position, XMP, IPTC, comments, trailers.
// Everything here is built fresh per call: no shared mutable fixtures.
import { crc32 } from 'node:zlib';

/** JPEG: SOI, APP0 JFIF, APP2 ICC_PROFILE, DQT, SOF0, DHT, SOS, scan, EOI. */
const JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAZEAACAwEAAAAAAAAAAAAAAAAAEwMhMYH/xAAVAQEBAAAAAAAAAAAAAAAAAAADBf/EAB0RAAAGAwEAAAAAAAAAAAAAAAABERITISMxcfD/2gAMAwEAAhEDEQA/AJIVW3miZVK7oAEuNjS6li5BllcfFrSa9Y//2Q==';

/** PNG: IHDR, IDAT, IEND. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAICAYAAADwdn+XAAAAPUlEQVR4AcyPwQkAIAwDQ1eqM+lMOlN30n8K9ZFPC/cohAuxcL8KBvGSYM1ABfclAQd+f0PBPgMVPEme8AAAAP//AesEtQAAAAZJREFUAwAE1zshwR0g6gAAAABJRU5ErkJggg==';

/** WebP: RIFF, VP8X (ICC flag), ICCP, 'VP8 ' (lossy). */
const WEBP_BASE64 =
  'UklGRkICAABXRUJQVlA4WAoAAAAgAAAADwAABwAASUNDUMgBAAAAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADZWUDggVAAAAHACAJ0BKhAACAACwEwlsAJ0WQBuf92gAq6axYAA/rl+8QNtT3V55WtT6U5e7TB9P/yT5f+TJ8CdO1L+mbnfCdcwHGIx/nfgLwnXEBwTwv/lv16AAA==';

export const plainJpeg = () => Buffer.from(JPEG_BASE64, 'base64');
export const plainPng = () => Buffer.from(PNG_BASE64, 'base64');
export const plainWebp = () => Buffer.from(WEBP_BASE64, 'base64');

/** 41°52'55.12" N: the rationals 41/1 52/1 5512/100 as they sit in the GPS IFD (big-endian). */
export const GPS_LATITUDE_BYTES = Buffer.from([0, 0, 0, 41, 0, 0, 0, 1, 0, 0, 0, 52, 0, 0, 0, 1, 0, 0, 0x15, 0x88, 0, 0, 0, 100]);
/** 87°37'40.08" W */
export const GPS_LONGITUDE_BYTES = Buffer.from([0, 0, 0, 87, 0, 0, 0, 1, 0, 0, 0, 37, 0, 0, 0, 1, 0, 0, 0x0f, 0xa8, 0, 0, 0, 100]);
/** text a phone or an editor puts in XMP, IPTC, comments and trailers: none of it may survive */
export const SECRET = 'SECRET-41.8819,-87.6278';

function ifdEntry(tag: number, type: number, count: number, value: Buffer): Buffer {
  const entry = Buffer.alloc(12);
  entry.writeUInt16BE(tag, 0);
  entry.writeUInt16BE(type, 2);
  entry.writeUInt32BE(count, 4);
  value.copy(entry, 8, 0, 4);
  return entry;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/**
 * A TIFF/EXIF block (big-endian): IFD0 with Make and the GPSInfo pointer, then a GPS IFD with
 * latitude/longitude and their N/W references, as a phone writes them.
 */
export function exifWithGps(): Buffer {
  const ASCII = 2;
  const LONG = 4;
  const RATIONAL = 5;
  const ifd0At = 8;
  const ifd0Size = 2 + 2 * 12 + 4;
  const gpsAt = ifd0At + ifd0Size;
  const gpsSize = 2 + 4 * 12 + 4;
  const latAt = gpsAt + gpsSize;
  const lonAt = latAt + 24;
  const makeAt = lonAt + 24;
  const make = Buffer.from('PhoneCo\0', 'latin1');
  return Buffer.concat([
    Buffer.from('MM\0*', 'latin1'),
    u32(ifd0At),
    Buffer.from([0, 2]),
    ifdEntry(0x010f, ASCII, make.length, u32(makeAt)),
    ifdEntry(0x8825, LONG, 1, u32(gpsAt)),
    u32(0),
    Buffer.from([0, 4]),
    ifdEntry(0x0001, ASCII, 2, Buffer.from('N\0\0\0', 'latin1')),
    ifdEntry(0x0002, RATIONAL, 3, u32(latAt)),
    ifdEntry(0x0003, ASCII, 2, Buffer.from('W\0\0\0', 'latin1')),
    ifdEntry(0x0004, RATIONAL, 3, u32(lonAt)),
    u32(0),
    GPS_LATITUDE_BYTES,
    GPS_LONGITUDE_BYTES,
    make,
  ]);
}

function jpegSegment(marker: number, body: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([header, body]);
}

const XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="41,52.9N" dc:creator="${SECRET}"/></rdf:RDF></x:xmpmeta>`;

/**
 * The Chromium JPEG as a phone would send it: APP1 Exif with GPS and APP1 XMP right after SOI, an
 * APP2 MPF, APP12, APP13 IPTC and a COM before the tables, and a trailer after EOI.
 */
export function jpegWithMetadata(): Buffer {
  const jpeg = plainJpeg();
  const soi = jpeg.subarray(0, 2);
  const rest = jpeg.subarray(2);
  return Buffer.concat([
    soi,
    jpegSegment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifWithGps()])),
    jpegSegment(0xe1, Buffer.from(`http://ns.adobe.com/xap/1.0/\0${XMP}`, 'latin1')),
    jpegSegment(0xe2, Buffer.from(`MPF\0MM\0*${SECRET}`, 'latin1')),
    jpegSegment(0xec, Buffer.from(`Ducky\0${SECRET}`, 'latin1')),
    jpegSegment(0xed, Buffer.from(`Photoshop 3.0\u00008BIM\u0004\u0004\0\0\0\0\0\u0020${SECRET}`, 'latin1')),
    jpegSegment(0xfe, Buffer.from(`taken at ${SECRET}`, 'latin1')),
    rest,
    Buffer.from(`MPF trailer ${SECRET}`, 'latin1'),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** The Chromium PNG with eXIf (GPS), tEXt, iTXt (XMP), zTXt and tIME after IHDR, and a trailer after IEND. */
export function pngWithMetadata(): Buffer {
  const png = plainPng();
  const ihdrEnd = 8 + 12 + 13;
  return Buffer.concat([
    png.subarray(0, ihdrEnd),
    pngChunk('eXIf', exifWithGps()),
    pngChunk('tEXt', Buffer.from(`Comment\0${SECRET}`, 'latin1')),
    pngChunk('iTXt', Buffer.from(`XML:com.adobe.xmp\0\0\0\0\0${XMP}`, 'latin1')),
    pngChunk('zTXt', Buffer.from('Author\0\0x\u009c\u0003\0\0\0\0\u0001', 'latin1')),
    pngChunk('tIME', Buffer.from([0x07, 0xea, 11, 28, 9, 30, 0])),
    png.subarray(ihdrEnd),
    Buffer.from(SECRET, 'latin1'),
  ]);
}

function webpChunk(fourcc: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(fourcc, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
}

/** The Chromium WebP with EXIF (GPS) and XMP chunks after the image data, their VP8X flags set. */
export function webpWithMetadata(): Buffer {
  const webp = plainWebp();
  const body = Buffer.concat([webp.subarray(12), webpChunk('EXIF', exifWithGps()), webpChunk('XMP ', Buffer.from(`${XMP} `, 'latin1'))]);
  const header = Buffer.from(webp.subarray(0, 12));
  header.writeUInt32LE(4 + body.length, 4);
  const out = Buffer.concat([header, body]);
  out[20] = out[20]! | 0x08 | 0x04; // VP8X flags: EXIF and XMP present
  return out;
}

// ---- structure checks (independent of the code under test) ----

export interface JpegSegment {
  marker: number;
  /** the segment's payload (after the length) */
  body: Buffer;
}

/** Walks a JPEG from SOI to EOI: every segment's length must fit; scans skipped by their markers.
 * Throws when anything does not parse; returns the segments (SOS with its header only). */
export function jpegSegments(buf: Buffer): JpegSegment[] {
  if (buf[0] !== 0xff || buf[1] !== 0xd8) throw new Error('no SOI');
  const segments: JpegSegment[] = [];
  let at = 2;
  for (;;) {
    if (buf[at] !== 0xff) throw new Error(`no marker at ${at}`);
    const marker = buf[at + 1]!;
    if (marker === 0xd9) {
      if (at + 2 !== buf.length) throw new Error(`${buf.length - at - 2} bytes after EOI`);
      segments.push({ marker, body: Buffer.alloc(0) });
      return segments;
    }
    if (marker >= 0xd0 && marker <= 0xd7) {
      at += 2;
      continue;
    }
    const length = buf.readUInt16BE(at + 2);
    if (at + 2 + length > buf.length) throw new Error(`segment ${marker.toString(16)} overruns`);
    segments.push({ marker, body: buf.subarray(at + 4, at + 2 + length) });
    at += 2 + length;
    if (marker === 0xda) {
      while (!(buf[at] === 0xff && buf[at + 1] !== 0x00 && !(buf[at + 1]! >= 0xd0 && buf[at + 1]! <= 0xd7))) {
        if (at >= buf.length) throw new Error('scan without end');
        at++;
      }
    }
  }
}

/** PNG chunk types in order, checking every CRC. */
export function pngChunkTypes(buf: Buffer): string[] {
  const types: string[] = [];
  let at = 8;
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const crc = buf.readUInt32BE(at + 8 + length);
    if (crc !== crc32(buf.subarray(at + 4, at + 8 + length))) throw new Error(`bad CRC in ${type}`);
    types.push(type);
    at += 12 + length;
  }
  return types;
}

/** WebP chunk FourCCs in order, checking the RIFF size. */
export function webpChunkTypes(buf: Buffer): string[] {
  if (buf.readUInt32LE(4) !== buf.length - 8) throw new Error(`RIFF size ${buf.readUInt32LE(4)} for ${buf.length} bytes`);
  const types: string[] = [];
  let at = 12;
  while (at < buf.length) {
    const size = buf.readUInt32LE(at + 4);
    types.push(buf.toString('latin1', at, at + 4));
    at += 8 + size + (size % 2);
  }
  if (at !== buf.length) throw new Error('chunks overrun the file');
  return types;
}
