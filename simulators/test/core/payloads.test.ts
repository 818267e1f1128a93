// Every payload the simulators build must decode with the shared decoders (the ones ingest runs).
import { describe, expect, it } from 'vitest';
import { decodeMessage, type DecodeContext } from '@city/shared/decoders/index';
import { parseTopic } from '@city/shared';
import { FleetGenerator, type MessageType, type SimMessage } from '../../src/core/fleet-generator.ts';
import { planFleet } from '../../src/core/fleet-plan.ts';
import { METRICS_BY_KIND, type SimulatedKind } from '../../src/core/patterns.ts';
import { nativeReading, senmlPack, SNAPSHOT_JPEG } from '../../src/core/payloads.ts';

const NOW = Date.UTC(2025, 10, 25, 14);
const ctx = (receivedAt = NOW + 40): DecodeContext => ({ receivedAt, lookupDevice: () => undefined });
const plan = planFleet({ seed: 11, sensors: 42, cameras: 8, ttsDevices: 9 });

function messages(rounds = 6): SimMessage[] {
  const g = new FleetGenerator(plan);
  const out: SimMessage[] = [];
  for (let r = 0; r < rounds; r++) for (const d of plan.devices) out.push(...g.turn(d, NOW + r * 10_000));
  return out;
}

describe('payload builders', () => {
  it('build messages of every type, each one decoding as the device kind with all its metrics', () => {
    const byType = new Map<MessageType, number>();
    for (const m of messages()) {
      byType.set(m.type, (byType.get(m.type) ?? 0) + 1);
      const result = decodeMessage(m.topic, m.payload, ctx());
      if (!result.ok) throw new Error(`${m.type} on ${m.topic}: ${result.reason}: ${result.detail}`);
      const device = plan.devices.find((d) => d.id === m.deviceId)!;
      if (m.type.endsWith('snapshot')) {
        expect(result.snapshot?.cameraId).toBe(device.id);
        continue;
      }
      expect(result.readings).toHaveLength(1);
      const reading = result.readings[0]!;
      expect(reading.deviceId).toBe(device.id);
      expect(reading.kind).toBe(device.kind);
      if (device.kind === 'camera') {
        expect(result.cameraEvent?.cameraId).toBe(device.id);
      } else {
        expect(Object.keys(reading.metrics).sort()).toEqual([...METRICS_BY_KIND[device.kind as SimulatedKind]].sort());
        expect(Math.abs(reading.observedAt - NOW)).toBeLessThanOrEqual(60_000);
      }
    }
    expect([...byType.keys()].sort()).toEqual(['camera-event', 'camera-snapshot', 'frigate-event', 'frigate-snapshot', 'reading', 'senml', 'tts-uplink']);
  });

  it('uses the shared topic shapes for each type', () => {
    const expected: Record<MessageType, string> = {
      reading: 'sensor-up',
      senml: 'sensor-up',
      'tts-uplink': 'tts-uplink',
      'camera-event': 'camera-events',
      'camera-snapshot': 'camera-snapshot',
      'frigate-event': 'frigate-events',
      'frigate-snapshot': 'frigate-snapshot',
    };
    for (const m of messages(2)) expect(parseTopic(m.topic).type).toBe(expected[m.type]);
  });

  it('gives SenML packs base fields and the same metrics as the native reading', () => {
    const metrics = { pm25_ugm3: 12.5, no2_ugm3: 31, temperature_c: 9.5, humidity_pct: 70 };
    const pack = JSON.parse(senmlPack('aq-loop-001', NOW, metrics).toString()) as Record<string, unknown>[];
    expect(pack).toHaveLength(4);
    expect(pack[0]).toMatchObject({ bn: 'urn:dev:city:aq-loop-001:', bt: NOW / 1000, bu: 'ug/m3', n: 'pm25', v: 12.5 });
    expect(pack[2]).toMatchObject({ n: 'temperature', u: 'Cel' });
    const fromSenml = decodeMessage('city/sensors/aq-loop-001/up', senmlPack('aq-loop-001', NOW, metrics), ctx());
    const fromNative = decodeMessage('city/sensors/aq-loop-001/up', nativeReading(NOW, metrics), ctx());
    expect(fromSenml.ok && fromSenml.readings).toEqual(fromNative.ok && fromNative.readings);
  });

  it('makes TTS v3 uplinks with the fields The Things Stack sends', () => {
    const m = messages(2).find((x) => x.type === 'tts-uplink')!;
    const body = JSON.parse(m.payload.toString());
    expect(m.topic).toMatch(/^v3\/city-sensors@ttn\/devices\/[a-z]+-[a-z-]+-\d{3}\/up$/);
    expect(body.end_device_ids).toMatchObject({ device_id: m.deviceId, application_ids: { application_id: 'city-sensors' } });
    expect(body.correlation_ids[0]).toMatch(/^as:up:[0-9A-Z]{26}$/);
    expect(typeof body.uplink_message.f_cnt).toBe('number');
    expect(Buffer.from(body.uplink_message.frm_payload, 'base64').length).toBeGreaterThan(0);
    expect(Date.parse(body.uplink_message.rx_metadata[0].time)).toBe(NOW); // the first round
    expect(body.uplink_message.locations.user).toMatchObject({ latitude: expect.any(Number), longitude: expect.any(Number) });
    expect(Date.parse(body.received_at)).toBeGreaterThan(Date.parse(body.uplink_message.rx_metadata[0].time));
  });

  it('counts TTS frames up per device, so uplinks deduplicate correctly', () => {
    const keys = messages(3)
      .filter((m) => m.type === 'tts-uplink')
      .map((m) => {
        const r = decodeMessage(m.topic, m.payload, ctx(NOW + 30_000));
        return r.ok ? r.dedupeKey : undefined;
      });
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('follows a detection through new, update and end with one event id, Frigate style on frigate/events', () => {
    const frigate = messages(8).filter((m) => m.type === 'frigate-event').map((m) => JSON.parse(m.payload.toString()));
    const first = frigate[0];
    expect(first.type).toBe('new');
    expect(first.after).toMatchObject({ camera: expect.any(String), label: expect.any(String), top_score: expect.any(Number), has_snapshot: true });
    expect(first.after.id).toMatch(/^\d{10}\.\d{6}-[a-z0-9]{6}$/);
    expect(first.after.frame_time).toBeCloseTo(NOW / 1000, 3);
    const lifecycle = frigate.filter((e) => e.after.id === first.after.id).map((e) => e.type);
    expect(lifecycle[0]).toBe('new');
    expect(lifecycle.at(-1)).toBe('end');
    expect(lifecycle.slice(1, -1).every((t: string) => t === 'update')).toBe(true);
  });

  it('publishes a snapshot with each new detection, as a valid JPEG', () => {
    const all = messages(4);
    const phaseOf = (m: SimMessage) => {
      const body = JSON.parse(m.payload.toString());
      return m.type === 'frigate-event' ? body.type : body.phase;
    };
    const news = all.filter((m) => (m.type === 'camera-event' || m.type === 'frigate-event') && phaseOf(m) === 'new');
    const snaps = all.filter((m) => m.type.endsWith('snapshot'));
    expect(snaps.length).toBe(news.length);
    // SOI, a baseline SOF0 16x16 frame, EOI
    expect(SNAPSHOT_JPEG.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(SNAPSHOT_JPEG.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    const sof = SNAPSHOT_JPEG.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    expect(SNAPSHOT_JPEG.readUInt16BE(sof + 5)).toBe(16);
    expect(SNAPSHOT_JPEG.readUInt16BE(sof + 7)).toBe(16);
  });

  it('is deterministic: same plan and times, same bytes', () => {
    const a = messages(2).map((m) => m.payload.toString('base64'));
    const b = messages(2).map((m) => m.payload.toString('base64'));
    expect(a).toEqual(b);
  });
});
