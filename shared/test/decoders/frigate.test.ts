import { describe, expect, it } from 'vitest';
import { decodeMessage, frigateCameraId, parseFrigateEvent } from '../../src/decoders/index.ts';
import { topics } from '../../src/topics.ts';
import { accepted, context, device, IN_LOOP, jsonBytes, RECEIVED_AT, refused } from './support.ts';

const FRAME_TIME = RECEIVED_AT / 1000 - 1.162248;

/** A tracked object as Frigate 0.14 publishes it in "before" and "after". */
function trackedObject(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '1764312001.475377-mxklsc',
    camera: 'wacker_dr_east',
    frame_time: FRAME_TIME,
    snapshot: { frame_time: FRAME_TIME - 0.4, box: [415, 489, 528, 700], area: 12728, region: [260, 446, 660, 846], score: 0.77546, attributes: [] },
    label: 'person',
    sub_label: null,
    top_score: 0.958984375,
    false_positive: false,
    start_time: FRAME_TIME - 6.3,
    end_time: null,
    score: 0.7890625,
    box: [424, 500, 536, 712],
    area: 23744,
    ratio: 2.113207,
    region: [264, 450, 667, 853],
    current_zones: ['crosswalk'],
    entered_zones: ['sidewalk', 'crosswalk'],
    thumbnail: null,
    has_snapshot: true,
    has_clip: true,
    stationary: false,
    motionless_count: 0,
    position_changes: 2,
    attributes: {},
    current_attributes: [],
    ...fields,
  };
}

function frigateEvent(type: string, after: Record<string, unknown> = {}): Record<string, unknown> {
  return { type, before: trackedObject({ current_zones: ['sidewalk'], entered_zones: ['sidewalk'] }), after: trackedObject(after) };
}

function decode(body: unknown, ctx = context()) {
  return decodeMessage(topics.frigateEvents(), jsonBytes(body), ctx);
}

describe('Frigate events on frigate/events', () => {
  it('an update for a registered camera: the event and a camera reading with the district', () => {
    const ctx = context([device('wacker_dr_east', { kind: 'camera', district: 'loop', position: IN_LOOP })]);
    const decoded = accepted(decode(frigateEvent('update'), ctx));
    const observedAt = Math.round(FRAME_TIME * 1000);
    expect(decoded.cameraEvent).toEqual({
      cameraId: 'wacker_dr_east',
      eventId: '1764312001.475377-mxklsc',
      phase: 'update',
      label: 'person',
      score: 0.958984375,
      observedAt,
      zones: ['crosswalk', 'sidewalk'],
      hasSnapshot: true,
    });
    expect(decoded.readings).toEqual([
      {
        deviceId: 'wacker_dr_east',
        kind: 'camera',
        observedAt,
        metrics: { detection_score: 0.958984375 },
        district: 'loop',
        label: 'person',
      },
    ]);
    expect(decoded.seenDevices).toBeUndefined();
  });

  it('new and end phases', () => {
    expect(accepted(decode(frigateEvent('new'))).cameraEvent!.phase).toBe('new');
    const end = accepted(decode(frigateEvent('end', { end_time: FRAME_TIME, current_zones: [] })));
    expect(end.cameraEvent).toMatchObject({ phase: 'end', zones: ['sidewalk', 'crosswalk'] });
  });

  it('an unknown camera is announced as a camera', () => {
    expect(accepted(decode(frigateEvent('new'))).seenDevices).toEqual([{ id: 'wacker_dr_east', kind: 'camera' }]);
  });

  it('falls back to score when top_score is absent or null', () => {
    expect(accepted(decode(frigateEvent('new', { top_score: null }))).cameraEvent!.score).toBe(0.7890625);
    const { top_score: _, ...withoutTop } = trackedObject();
    expect(accepted(decode({ type: 'new', after: withoutTop })).readings[0]!.metrics).toEqual({ detection_score: 0.7890625 });
  });

  it('camera names become lowercase ids', () => {
    expect(frigateCameraId('Front-Door')).toBe('front-door');
    expect(frigateCameraId('Lake Shore Dr')).toBe('lake_shore_dr');
    expect(accepted(decode(frigateEvent('new', { camera: 'Wacker_Dr_East' }))).cameraEvent!.cameraId).toBe('wacker_dr_east');
  });

  it('a recognised license plate (Frigate 0.16) and a sub_label pair (0.14) are read', () => {
    const car = frigateEvent('update', { label: 'car', sub_label: ['Delivery van', 0.91], recognized_license_plate: 'IL ABC 1234' });
    expect(accepted(decode(car)).cameraEvent).toMatchObject({ label: 'car', plate: 'IL ABC 1234' });
    expect('plate' in accepted(decode(frigateEvent('update', { recognized_license_plate: null }))).cameraEvent!).toBe(false);
  });

  it('is callable directly with a parsed body', () => {
    expect(accepted(parseFrigateEvent(frigateEvent('new'), context())).readings).toHaveLength(1);
  });
});

describe('Frigate refusals', () => {
  it('an unknown type', () => {
    expect(refused(decode(frigateEvent('started')), 'invalid-schema')).toBe(
      'type: expected one of "new", "update", "end" (got "started")',
    );
  });

  it('no after, or after without id, camera or frame_time', () => {
    expect(refused(decode({ type: 'new', before: trackedObject() }), 'invalid-schema')).toBe('after: required');
    const { id: _, camera: __, ...rest } = trackedObject();
    expect(refused(decode({ type: 'new', after: rest }), 'invalid-schema')).toBe('after.id: required; after.camera: required');
    expect(refused(decode(frigateEvent('new', { frame_time: '1764312001.47' })), 'invalid-schema')).toBe(
      'after.frame_time: expected a finite number (got "1764312001.47")',
    );
  });

  it('neither top_score nor score', () => {
    expect(refused(decode(frigateEvent('new', { top_score: null, score: null })), 'invalid-schema')).toBe(
      'after: expected top_score or score (got neither)',
    );
  });

  it('a score above 1', () => {
    expect(refused(decode(frigateEvent('new', { top_score: 95 })), 'invalid-schema')).toBe('after.top_score: expected at most 1 (got 95)');
  });

  it('a camera name that cannot be a device id', () => {
    expect(refused(decode(frigateEvent('new', { camera: '_hidden' })), 'invalid-schema')).toBe(
      'after.camera "_hidden" must be 1-64 of a-z, 0-9, _, ., - starting with a letter or digit',
    );
  });

  it('a frame_time in milliseconds is out of range', () => {
    expect(refused(decode(frigateEvent('new', { frame_time: FRAME_TIME * 1000 })), 'timestamp-out-of-range')).toMatch(
      /^after\.frame_time \S+ is .+ after receipt \(limit 5 min\)$/,
    );
  });
});
