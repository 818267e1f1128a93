import { describe, expect, it } from 'vitest';
import { decodeMessage, detectionLabel, parseCameraEvent, parseSnapshot } from '../../src/decoders/index.ts';
import { topics } from '../../src/topics.ts';
import { accepted, context, device, jsonBytes, RECEIVED_AT, refused } from './support.ts';

const OBSERVED_AT = RECEIVED_AT - 800;

function decode(cameraId: string, body: unknown, ctx = context()) {
  return decodeMessage(topics.cameraEvents(cameraId), jsonBytes(body), ctx);
}

/** The first bytes of a real JPEG file (SOI, then the JFIF APP0 segment). */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('native camera events on city/cameras/{cameraId}/events', () => {
  it('a full event: the CameraEvent and a camera reading with the registry district', () => {
    const ctx = context([device('cam-state-lake', { kind: 'camera', district: 'loop' })]);
    const body = { observedAt: OBSERVED_AT, eventId: 'evt-42', label: 'car', score: 0.87, zones: ['bus_lane'], plate: 'IL 4KX 221', phase: 'update', hasSnapshot: true };
    const decoded = accepted(decode('cam-state-lake', body, ctx));
    expect(decoded.cameraEvent).toEqual({
      cameraId: 'cam-state-lake',
      eventId: 'evt-42',
      phase: 'update',
      label: 'car',
      score: 0.87,
      observedAt: OBSERVED_AT,
      zones: ['bus_lane'],
      plate: 'IL 4KX 221',
      hasSnapshot: true,
    });
    expect(decoded.readings).toEqual([
      { deviceId: 'cam-state-lake', kind: 'camera', observedAt: OBSERVED_AT, metrics: { detection_score: 0.87 }, district: 'loop', label: 'car' },
    ]);
    expect(decoded.seenDevices).toBeUndefined();
  });

  it('defaults: receipt time, phase new, no zones, no snapshot, an event id from camera, time and label', () => {
    const decoded = accepted(decode('cam-1', { label: 'person', score: 0.6 }));
    expect(decoded.cameraEvent).toEqual({
      cameraId: 'cam-1',
      eventId: `cam-1-${RECEIVED_AT}-person`,
      phase: 'new',
      label: 'person',
      score: 0.6,
      observedAt: RECEIVED_AT,
      zones: [],
      hasSnapshot: false,
    });
  });

  it('labels are normalised to tag values', () => {
    expect(accepted(decode('cam-1', { label: 'License Plate', score: 0.6 })).readings[0]!.label).toBe('license_plate');
    expect(detectionLabel('Bicycle')).toBe('bicycle');
    expect(detectionLabel('42')).toBeUndefined();
  });

  it('is callable directly', () => {
    expect(accepted(parseCameraEvent('cam-1', { label: 'person', score: 0.6, observedAt: '2025-11-28T06:40:04Z' }, context())).cameraEvent!.observedAt).toBe(
      RECEIVED_AT - 1000,
    );
  });

  it('refusals name the field and what was sent', () => {
    expect(refused(decode('cam-1', { score: 0.6 }), 'invalid-schema')).toBe('label: required');
    expect(refused(decode('cam-1', { label: 'car', score: 87 }), 'invalid-schema')).toBe('score: expected at most 1 (got 87)');
    expect(refused(decode('cam-1', { label: 'car', score: 0.5, phase: 'start' }), 'invalid-schema')).toBe(
      'phase: expected one of "new", "update", "end" (got "start")',
    );
    expect(refused(decode('cam-1', { label: 'car', score: 0.5, zones: 'bus_lane' }), 'invalid-schema')).toBe(
      'zones: expected an array (got "bus_lane")',
    );
    expect(refused(decode('cam-1', { label: '!!', score: 0.5 }), 'invalid-schema')).toBe(
      'label: expected a word like "person" or "car" (got "!!")',
    );
    expect(refused(decode('cam-1', { label: 'car', score: 0.5, observedAt: 'now' }), 'invalid-schema')).toBe(
      'observedAt: expected epoch milliseconds or an ISO 8601 time with a zone (got "now")',
    );
    expect(refused(decode('cam-1', { label: 'car', score: 0.5, observedAt: RECEIVED_AT + 3_600_000 }), 'timestamp-out-of-range')).toBe(
      'observedAt 2025-11-28T07:40:05.000Z is 60 min after receipt (limit 5 min)',
    );
    expect(refused(decode('Cam 1', { label: 'car', score: 0.5 }), 'invalid-schema')).toBe(
      'camera id "Cam 1" must be 1-64 of a-z, 0-9, _, ., - starting with a letter or digit',
    );
  });
});

describe('snapshots', () => {
  it('a JPEG on city/cameras/{id}/snapshot', () => {
    const decoded = accepted(decodeMessage(topics.cameraSnapshot('cam-1'), JPEG, context()));
    expect(decoded.readings).toEqual([]);
    expect(decoded.snapshot).toEqual({ cameraId: 'cam-1', jpeg: JPEG });
  });

  it('a JPEG on frigate/{camera}/{label}/snapshot, camera name made an id', () => {
    const decoded = accepted(decodeMessage(topics.frigateSnapshot('Wacker_Dr_East', 'person'), JPEG, context()));
    expect(decoded.snapshot!.cameraId).toBe('wacker_dr_east');
  });

  it('anything but a JPEG is refused with its first bytes', () => {
    expect(refused(decodeMessage(topics.cameraSnapshot('cam-1'), PNG, context()), 'not-jpeg')).toBe(
      'expected JPEG bytes starting FF D8 FF (got 89 50 4E 47, 8 bytes)',
    );
    expect(refused(parseSnapshot('cam-1', Buffer.alloc(0)), 'not-jpeg')).toBe('expected JPEG bytes starting FF D8 FF (got no bytes, 0 bytes)');
    expect(refused(parseSnapshot('cam-1', Buffer.from([0xff, 0xd8])), 'not-jpeg')).toBe('expected JPEG bytes starting FF D8 FF (got FF D8, 2 bytes)');
  });

  it('a camera id that cannot be a device id', () => {
    expect(refused(parseSnapshot('CAM', JPEG), 'invalid-schema')).toContain('camera id "CAM"');
  });
});
