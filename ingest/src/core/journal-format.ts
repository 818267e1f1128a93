// The journal's on-disk framing: pure encoding and decoding, no I/O.
//
// One record = an 8-byte header (payload length, CRC-32 of the payload; both uint32 little-endian)
// followed by the payload. The CRC lets recovery tell a complete record from a torn tail (power loss
// in the middle of a write leaves zeros or garbage after the last complete record).
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
/** A record larger than this is corruption, not data: ingest payloads are bounded far below it. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export type FrameParse =
  | { type: 'record'; payload: Buffer; frameBytes: number }
  /** not enough bytes in the buffer for the whole record; `frameBytes` when the header was readable */
  | { type: 'incomplete'; frameBytes?: number }
  | { type: 'corrupt'; detail: string };

/** Parses the record starting at `offset` in `buf`. The payload is a view into `buf`. */
export function parseFrame(buf: Buffer, offset: number): FrameParse {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { type: 'incomplete' };
  const length = buf.readUInt32LE(offset);
  if (length > MAX_RECORD_BYTES) return { type: 'corrupt', detail: `record length ${length} bytes is beyond any record` };
  const frameBytes = FRAME_HEADER_BYTES + length;
  if (buf.length - offset < frameBytes) return { type: 'incomplete', frameBytes };
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, offset + frameBytes);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) return { type: 'corrupt', detail: 'CRC mismatch' };
  return { type: 'record', payload, frameBytes };
}

const SEGMENT_FILE = /^(\d{12})\.seg$/;

export function segmentFileName(segment: number): string {
  return `${String(segment).padStart(12, '0')}.seg`;
}

/** The segment number of a journal file name, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_FILE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Where the writer has got to: every record before this position is durable in the store. */
export interface JournalPosition {
  segment: number;
  /** bytes from the start of the segment file */
  offset: number;
}

export function parseCheckpoint(text: string): JournalPosition | undefined {
  try {
    const value = JSON.parse(text) as Partial<JournalPosition>;
    if (Number.isSafeInteger(value.segment) && Number.isSafeInteger(value.offset) && value.segment! >= 0 && value.offset! >= 0) {
      return { segment: value.segment!, offset: value.offset! };
    }
  } catch {
    // undefined below
  }
  return undefined;
}
