// Reads MQTT fixed headers off a byte stream, so an oversized packet is refused from its first
// bytes, before the parser buffers it (mqtt-packet has no size limit of its own for 3.1.1 and
// would hold up to 256 MiB per connection). Pure: feed it chunks, it answers.

/** [MQTT-2.2.3] Remaining Length is at most four bytes: 268,435,455. */
const MAX_LENGTH_BYTES = 4;

export type FrameVerdict = { ok: true } | { ok: false; packetBytes: number; reason: string };

export class FrameSizeGuard {
  /** bytes of the current packet body still to skip */
  private remainingToSkip = 0;
  /** where we are in a fixed header: 0 = expecting the type byte, 1.. = length bytes read */
  private headerPos = 0;
  private length = 0;
  private multiplier = 1;

  /** @param maxRemainingLengthBytes largest Remaining Length (variable header + payload) accepted */
  constructor(private readonly maxRemainingLengthBytes: number) {}

  feed(chunk: Uint8Array): FrameVerdict {
    let i = 0;
    while (i < chunk.length) {
      if (this.remainingToSkip > 0) {
        const skip = Math.min(this.remainingToSkip, chunk.length - i);
        this.remainingToSkip -= skip;
        i += skip;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.headerPos === 0) {
        this.headerPos = 1;
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      if (byte & 0x80) {
        if (++this.headerPos > MAX_LENGTH_BYTES) return { ok: false, packetBytes: -1, reason: 'malformed remaining length' };
        continue;
      }
      if (this.length > this.maxRemainingLengthBytes) {
        return { ok: false, packetBytes: this.length, reason: `packet of ${this.length} bytes over the limit` };
      }
      this.headerPos = 0;
      this.remainingToSkip = this.length;
    }
    return { ok: true };
  }
}
