import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_REASONS, decodeMessage } from '../../src/decoders/index.ts';
import { topics } from '../../src/topics.ts';
import { accepted, context, jsonBytes, RECEIVED_AT, refused } from './support.ts';

describe('decodeMessage dispatch', () => {
  it('an object on a sensor topic is a native reading, an array a SenML pack', () => {
    const native = accepted(decodeMessage(topics.sensorUp('s-1'), jsonBytes({ metrics: { noise_dba: 50 } }), context()));
    const senml = accepted(decodeMessage(topics.sensorUp('s-1'), jsonBytes([{ n: 'noise', u: 'dB', v: 50 }]), context()));
    expect(senml.readings).toEqual(native.readings);
    expect(native.readings[0]).toMatchObject({ deviceId: 's-1', kind: 'noise', observedAt: RECEIVED_AT, metrics: { noise_dba: 50 } });
  });

  it('topics without a decoder', () => {
    for (const topic of ['city/sensors/s-1/down', 'city/devices/s-1/status', 'city/deadletter/not-json', 'frigate/available', 'v3/app/devices/d/up', '']) {
      expect(refused(decodeMessage(topic, jsonBytes({}), context()), 'unknown-topic')).toBe(`no decoder for topic ${JSON.stringify(topic)}`);
    }
  });

  it('bytes that are not JSON carry the parser message', () => {
    const detail = refused(decodeMessage(topics.sensorUp('s-1'), Buffer.from('{"metrics": {'), context()), 'not-json');
    expect(detail).toMatch(/JSON/);
    expect(refused(decodeMessage(topics.frigateEvents(), Buffer.alloc(0), context()), 'not-json')).toMatch(/JSON/);
  });

  it('bytes that are not UTF-8', () => {
    const detail = refused(decodeMessage(topics.cameraEvents('cam-1'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), context()), 'not-json');
    expect(detail).toBe('not UTF-8 text (4 bytes)');
  });

  it('a UTF-8 byte order mark is tolerated', () => {
    const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), jsonBytes({ metrics: { noise_dba: 50 } })]);
    accepted(decodeMessage(topics.sensorUp('s-1'), payload, context()));
  });

  it('never throws: an exception inside a decoder becomes invalid-schema', () => {
    const ctx = { receivedAt: RECEIVED_AT, lookupDevice: () => { throw new Error('registry closed'); } };
    expect(refused(decodeMessage(topics.sensorUp('s-1'), jsonBytes({ metrics: { a: 1 } }), ctx), 'invalid-schema')).toBe(
      'decoder error: registry closed',
    );
  });

  it('every reason a decoder gives is a declared dead-letter reason', () => {
    const results = [
      decodeMessage('nope', Buffer.alloc(0), context()),
      decodeMessage(topics.sensorUp('s-1'), Buffer.from('x'), context()),
      decodeMessage(topics.sensorUp('s-1'), jsonBytes([]), context()),
      decodeMessage(topics.cameraSnapshot('c-1'), Buffer.from('x'), context()),
    ];
    for (const result of results) {
      if (result.ok) expect.fail('expected a refusal');
      expect(DEAD_LETTER_REASONS).toContain(result.reason);
    }
  });
});
