import { describe, expect, it } from 'vitest';
import { inspectImage, sniffImageType } from '../../src/core/image-info.ts';
import { ImageFormatError, stripImageMetadata } from '../../src/core/image-metadata.ts';
import {
  GPS_LATITUDE_BYTES,
  GPS_LONGITUDE_BYTES,
  SECRET,
  jpegSegments,
  jpegWithMetadata,
  plainJpeg,
  plainPng,
  plainWebp,
  pngChunkTypes,
  pngWithMetadata,
  webpChunkTypes,
  webpWithMetadata,
} from '../support/images.ts';

const has = (buf: Buffer, text: string | Buffer) => buf.includes(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);

describe('stripImageMetadata: JPEG', () => {
  it('the fixture really carries GPS EXIF, XMP, IPTC, a comment and a trailer', () => {
    const input = jpegWithMetadata();
    expect(has(input, 'Exif\0\0')).toBe(true);
    expect(has(input, GPS_LATITUDE_BYTES)).toBe(true);
    expect(has(input, SECRET)).toBe(true);
    expect(jpegSegments(plainJpeg()).map((s) => s.marker)).toEqual([0xe0, 0xe2, 0xdb, 0xdb, 0xc0, 0xc4, 0xc4, 0xc4, 0xc4, 0xda, 0xd9]);
  });

  it('drops APP1 (Exif with GPS, XMP), APP2 MPF, APP12, APP13, COM and the trailer', () => {
    const clean = stripImageMetadata(jpegWithMetadata());
    expect(has(clean, 'Exif')).toBe(false);
    expect(has(clean, GPS_LATITUDE_BYTES)).toBe(false);
    expect(has(clean, GPS_LONGITUDE_BYTES)).toBe(false);
    expect(has(clean, 'http://ns.adobe.com/xap')).toBe(false);
    expect(has(clean, 'Photoshop')).toBe(false);
    expect(has(clean, SECRET)).toBe(false);
    expect(jpegSegments(clean).map((s) => s.marker)).not.toContain(0xe1);
  });

  it('keeps everything else byte for byte: the result is the picture as it was before the metadata went in', () => {
    const clean = stripImageMetadata(jpegWithMetadata());
    expect(clean.equals(plainJpeg())).toBe(true);
    // starts with SOI, ends with EOI, every segment parses, the ICC profile (colours) is still there
    const segments = jpegSegments(clean);
    expect(clean.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(clean.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(segments.some((s) => s.marker === 0xe2 && s.body.subarray(0, 12).toString('latin1') === 'ICC_PROFILE\0')).toBe(true);
    expect(inspectImage(clean)).toEqual({ type: 'image/jpeg', width: 16, height: 8 });
  });

  it('leaves a clean JPEG unchanged', () => {
    expect(stripImageMetadata(plainJpeg()).equals(plainJpeg())).toBe(true);
  });

  it('refuses a truncated JPEG and one whose segment overruns the file', () => {
    const jpeg = plainJpeg();
    expect(() => stripImageMetadata(jpeg.subarray(0, jpeg.length - 2))).toThrow(ImageFormatError);
    expect(() => stripImageMetadata(jpeg.subarray(0, 30))).toThrow(/overruns|ends/);
    expect(() => stripImageMetadata(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff]))).toThrow(ImageFormatError);
  });
});

describe('stripImageMetadata: PNG', () => {
  it('drops eXIf, tEXt, iTXt, zTXt, tIME and what follows IEND; keeps the rest with valid CRCs', () => {
    const input = pngWithMetadata();
    expect(pngChunkTypes(input.subarray(0, input.length - SECRET.length))).toEqual(['IHDR', 'eXIf', 'tEXt', 'iTXt', 'zTXt', 'tIME', 'IDAT', 'IDAT', 'IEND']);
    const clean = stripImageMetadata(input);
    expect(pngChunkTypes(clean)).toEqual(['IHDR', 'IDAT', 'IDAT', 'IEND']);
    expect(has(clean, GPS_LATITUDE_BYTES)).toBe(false);
    expect(has(clean, SECRET)).toBe(false);
    expect(clean.equals(plainPng())).toBe(true);
    expect(inspectImage(clean)).toEqual({ type: 'image/png', width: 16, height: 8 });
  });

  it('refuses a PNG without IEND', () => {
    const png = plainPng();
    expect(() => stripImageMetadata(png.subarray(0, png.length - 12))).toThrow(/IEND/);
  });
});

describe('stripImageMetadata: WebP', () => {
  it('drops EXIF and XMP chunks, clears their VP8X flags, rewrites the RIFF size', () => {
    const input = webpWithMetadata();
    expect(webpChunkTypes(input)).toEqual(['VP8X', 'ICCP', 'VP8 ', 'EXIF', 'XMP ']);
    expect(input[20]! & 0x0c).toBe(0x0c);
    const clean = stripImageMetadata(input);
    expect(webpChunkTypes(clean)).toEqual(['VP8X', 'ICCP', 'VP8 ']);
    expect(clean[20]! & 0x0c).toBe(0);
    // the ICC flag (0x20) stays: the profile is kept
    expect(clean[20]! & 0x20).toBe(0x20);
    expect(has(clean, GPS_LATITUDE_BYTES)).toBe(false);
    expect(has(clean, SECRET)).toBe(false);
    expect(clean.equals(plainWebp())).toBe(true);
    expect(inspectImage(clean)).toEqual({ type: 'image/webp', width: 16, height: 8 });
  });

  it('refuses a RIFF size larger than the file', () => {
    expect(() => stripImageMetadata(plainWebp().subarray(0, 100))).toThrow(/RIFF size/);
  });
});

describe('image types by magic bytes', () => {
  it('knows JPEG, PNG and WebP whatever they are called, and nothing else', () => {
    expect(sniffImageType(plainJpeg())).toBe('image/jpeg');
    expect(sniffImageType(plainPng())).toBe('image/png');
    expect(sniffImageType(plainWebp())).toBe('image/webp');
    expect(sniffImageType(Buffer.from('this is not a picture'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
    expect(() => stripImageMetadata(Buffer.from('<html><script>alert(1)</script>'))).toThrow(/not a JPEG, PNG or WebP/);
  });
});
