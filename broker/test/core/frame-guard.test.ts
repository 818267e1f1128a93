import { describe, expect, it } from 'vitest';
import { FrameSizeGuard } from '../../src/core/frame-guard.ts';

/** A QoS 0 PUBLISH to "a/b" [MQTT-3.3]: fixed header, 2-byte topic length, topic, payload. */
function publish(payloadBytes: number): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3]), Buffer.from('a/b'), Buffer.alloc(payloadBytes, 1)]);
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...length]), body]);
}

/** Feeds `bytes` in chunks of `size` and returns the first refusal, or ok. */
function feedInChunks(guard: FrameSizeGuard, bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) {
    const verdict = guard.feed(bytes.subarray(i, i + size));
    if (!verdict.ok) return verdict;
  }
  return { ok: true as const };
}

describe('FrameSizeGuard', () => {
  it('lets packets up to the limit through, in any chunking', () => {
    const stream = Buffer.concat([publish(0), publish(100), publish(995), publish(20_000), publish(5)]);
    for (const size of [1, 2, 3, 7, 1000, stream.length]) {
      expect(feedInChunks(new FrameSizeGuard(20_000 + 5), stream, size)).toEqual({ ok: true });
    }
  });

  it('refuses the first packet announcing more, from its header alone', () => {
    const big = publish(20_000);
    const guard = new FrameSizeGuard(1000);
    expect(guard.feed(publish(10))).toEqual({ ok: true });
    const verdict = guard.feed(big.subarray(0, 4));
    expect(verdict).toMatchObject({ ok: false, packetBytes: 20_005 });
  });

  it('refuses a remaining length longer than four bytes', () => {
    const guard = new FrameSizeGuard(Number.MAX_SAFE_INTEGER);
    expect(guard.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toMatchObject({ ok: false, reason: 'malformed remaining length' });
  });
});
