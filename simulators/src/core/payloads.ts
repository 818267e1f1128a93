// Payload builders: what real devices, a Frigate NVR and The Things Stack put on the wire. Each
// returns the bytes; the topic comes from the shared topic builders.
import type { NativeCameraEventPayload, NativeReadingPayload, SenmlRecord } from '@city/shared/decoders/index';
import type { FleetPlan, PlannedDevice } from './fleet-plan.ts';
import { hexBytes, round, type Rand } from './prng.ts';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Our own reading: `{"observedAt": epoch ms, "metrics": {...}}`. */
export function nativeReading(observedAt: number, metrics: Record<string, number>): Buffer {
  const body: NativeReadingPayload = { observedAt, metrics };
  return json(body);
}

/** Metric name -> [SenML name, SenML unit]; names without a known unit travel unit-less. */
const SENML_UNITS: ReadonlyArray<readonly [suffix: string, unit: string]> = [
  ['_ugm3', 'ug/m3'],
  ['_dba', 'dB'],
  ['_per_min', '1/min'],
  ['_kmh', 'km/h'],
  ['_cm', 'cm'],
  ['_pct', '%'],
  ['_w', 'W'],
  ['_v', 'V'],
  ['_c', 'Cel'],
];

export function senmlNameAndUnit(metric: string): { n: string; u?: string } {
  for (const [suffix, unit] of SENML_UNITS) {
    if (metric.endsWith(suffix) && metric.length > suffix.length) return { n: metric.slice(0, -suffix.length), u: unit };
  }
  return { n: metric };
}

/**
 * An RFC 8428 pack: the first record carries bn (the device URN), bt (epoch seconds) and, when every
 * record has a unit, bu (the first record's unit, which records sharing it then leave out).
 */
export function senmlPack(deviceId: string, observedAt: number, metrics: Record<string, number>): Buffer {
  const parts = Object.entries(metrics).map(([metric, v]) => ({ ...senmlNameAndUnit(metric), v }));
  const baseUnit = parts.every((p) => p.u !== undefined) ? parts[0]?.u : undefined;
  const records: SenmlRecord[] = parts.map((p, i) => {
    const record: SenmlRecord = {};
    if (i === 0) {
      record.bn = `urn:dev:city:${deviceId}:`;
      record.bt = observedAt / 1000;
      if (baseUnit !== undefined) record.bu = baseUnit;
    }
    record.n = p.n;
    if (p.u !== undefined && p.u !== baseUnit) record.u = p.u;
    record.v = p.v;
    return record;
  });
  return json(records);
}

// ---- The Things Stack v3 ------------------------------------------------------------------------

const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-looking id, as TTS correlation ids carry. */
function ulid(timeMs: number, rand: Rand): string {
  let time = '';
  let t = Math.floor(timeMs);
  for (let i = 0; i < 10; i++) {
    time = ULID_ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let tail = '';
  for (let i = 0; i < 16; i++) tail += ULID_ALPHABET[Math.floor(rand() * 32)];
  return time + tail;
}

/** The frm_payload a device would send: each metric as a signed 16-bit big-endian value x10. */
function framePayload(metrics: Record<string, number>): string {
  const values = Object.values(metrics);
  const buf = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => buf.writeInt16BE(Math.max(-32768, Math.min(32767, Math.round(v * 10))), i * 2));
  return buf.toString('base64');
}

const SPREADING_FACTORS = [7, 8, 9, 10] as const;

export interface TtsUplinkInput {
  device: PlannedDevice;
  tts: FleetPlan['tts'];
  /** when the gateway heard it, epoch ms */
  observedAt: number;
  metrics: Record<string, number>;
  fCnt: number;
  rand: Rand;
}

/** An uplink as The Things Stack's MQTT integration publishes it (trimmed of rarely used fields). */
export function ttsUplink({ device, tts, observedAt, metrics, fCnt, rand }: TtsUplinkInput): Buffer {
  const ids = device.lorawan ?? { devEui: '70B3D57ED0000000', joinEui: '0000000000000000', devAddr: '26000000', gatewayId: 'gw-city', gatewayEui: '0000000000000000' };
  const gsAt = new Date(observedAt + 3).toISOString();
  const nsAt = new Date(observedAt + 12).toISOString();
  const asAt = new Date(observedAt + 25).toISOString();
  const sf = SPREADING_FACTORS[Math.floor(rand() * SPREADING_FACTORS.length)]!;
  const rssi = -Math.round(70 + rand() * 45);
  const snr = round(10 - rand() * 17, 1);
  const frequencies = ['904300000', '904500000', '904700000', '904900000', '905100000', '905300000', '905500000', '905700000'];
  const correlation = ulid(observedAt, rand);
  const body = {
    end_device_ids: {
      device_id: device.id,
      application_ids: { application_id: tts.app },
      dev_eui: ids.devEui,
      join_eui: ids.joinEui,
      dev_addr: ids.devAddr,
    },
    correlation_ids: [
      `as:up:${correlation}`,
      `gs:conn:${ulid(observedAt - 86_400_000, rand)}`,
      `gs:up:host:${ulid(observedAt, rand)}`,
      `gs:uplink:${ulid(observedAt, rand)}`,
      `ns:uplink:${ulid(observedAt, rand)}`,
      `rpc:/ttn.lorawan.v3.GsNs/HandleUplink:${ulid(observedAt, rand)}`,
      `rpc:/ttn.lorawan.v3.NsAs/HandleUplink:${ulid(observedAt, rand)}`,
    ],
    received_at: asAt,
    uplink_message: {
      session_key_id: Buffer.from(hexBytes(rand, 16), 'hex').toString('base64'),
      f_port: 1,
      f_cnt: fCnt,
      frm_payload: framePayload(metrics),
      decoded_payload: { ...metrics },
      rx_metadata: [
        {
          gateway_ids: { gateway_id: ids.gatewayId, eui: ids.gatewayEui },
          time: new Date(observedAt).toISOString(),
          timestamp: Math.floor(rand() * 4_294_967_295),
          rssi,
          channel_rssi: rssi,
          snr,
          location: { latitude: device.position.lat, longitude: device.position.lon, altitude: 180, source: 'SOURCE_REGISTRY' },
          uplink_token: Buffer.from(hexBytes(rand, 24), 'hex').toString('base64'),
          received_at: gsAt,
        },
      ],
      settings: {
        data_rate: { lora: { bandwidth: 125000, spreading_factor: sf, coding_rate: '4/5' } },
        frequency: frequencies[Math.floor(rand() * frequencies.length)],
        timestamp: Math.floor(rand() * 4_294_967_295),
        time: new Date(observedAt).toISOString(),
      },
      received_at: nsAt,
      consumed_airtime: `${(0.0256 * 2 ** (sf - 7) * (1 + Object.keys(metrics).length / 4)).toFixed(6)}s`,
      locations: {
        user: { latitude: device.position.lat, longitude: device.position.lon, altitude: 180, source: 'SOURCE_REGISTRY' },
      },
      network_ids: {
        net_id: '000013',
        ns_id: 'EC656E0000000181',
        tenant_id: tts.tenant,
        cluster_id: 'nam1',
        cluster_address: 'nam1.cloud.thethings.network',
      },
    },
  };
  return json(body);
}

// ---- cameras ------------------------------------------------------------------------------------

/** One phase of a detection, as the camera state machine produces it. */
export interface Detection {
  cameraId: string;
  phase: 'new' | 'update' | 'end';
  eventId: string;
  label: string;
  /** this frame's score, 0..1 */
  score: number;
  /** best score so far, 0..1 */
  topScore: number;
  /** epoch ms of the first frame */
  startMs: number;
  /** epoch ms of this frame */
  frameMs: number;
  zones: string[];
  enteredZones: string[];
  plate?: string;
  /** [x1, y1, x2, y2] in a 1280x720 frame */
  box: [number, number, number, number];
  hasSnapshot: boolean;
}

/** Our own camera event on city/cameras/{id}/events. */
export function nativeCameraEvent(d: Detection): Buffer {
  const body: NativeCameraEventPayload = {
    observedAt: d.frameMs,
    eventId: d.eventId,
    phase: d.phase,
    label: d.label,
    score: d.topScore,
    zones: d.zones,
    hasSnapshot: d.hasSnapshot,
  };
  if (d.plate !== undefined) body.plate = d.plate;
  return json(body);
}

function frigateObject(d: Detection) {
  const [x1, y1, x2, y2] = d.box;
  const area = (x2 - x1) * (y2 - y1);
  return {
    id: d.eventId,
    camera: d.cameraId,
    frame_time: d.frameMs / 1000,
    snapshot: d.hasSnapshot ? { frame_time: d.startMs / 1000, box: d.box, area, region: [0, 0, 720, 720], score: d.topScore, attributes: [] } : null,
    label: d.label,
    sub_label: null,
    top_score: d.topScore,
    false_positive: false,
    start_time: d.startMs / 1000,
    end_time: d.phase === 'end' ? d.frameMs / 1000 : null,
    score: d.score,
    box: d.box,
    area,
    ratio: round((x2 - x1) / Math.max(1, y2 - y1), 3),
    region: [0, 0, 720, 720],
    active: d.phase !== 'end',
    stationary: false,
    motionless_count: 0,
    position_changes: d.phase === 'new' ? 0 : 1,
    current_zones: d.phase === 'end' ? [] : d.zones,
    entered_zones: d.enteredZones,
    has_clip: true,
    has_snapshot: d.hasSnapshot,
    attributes: {},
    current_attributes: [],
    recognized_license_plate: d.plate ?? null,
  };
}

/** Frigate's tracked-object message on frigate/events; `previous` is the last phase sent, if any. */
export function frigateEvent(d: Detection, previous?: Detection): Buffer {
  const after = frigateObject(d);
  return json({ type: d.phase, before: previous ? frigateObject(previous) : after, after });
}

/**
 * A 16x16 baseline JFIF JPEG (543 bytes, the CPython test suite's imghdrdata/python.jpg): small,
 * valid, and decodable by any JPEG reader. Every snapshot carries these bytes.
 */
export const SNAPSHOT_JPEG: Buffer = Buffer.from(
  '/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8Q' +
    'EBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ' +
    'EBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQID' +
    'BAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/' +
    '2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx' +
    '4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+' +
    'Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolv' +
    'w4KOp1KM6iCNvngZHwetf//Z',
  'base64',
);
