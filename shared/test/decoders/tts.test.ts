import { describe, expect, it } from 'vitest';
import { decodeMessage, flattenDecodedPayload, parseTtsUplink } from '../../src/decoders/index.ts';
import { topics } from '../../src/topics.ts';
import { accepted, context, device, IN_LOOP, IN_NEAR_NORTH, jsonBytes, RECEIVED_AT, refused } from './support.ts';

const APP = 'city-lorawan';
const TENANT = 'ttn';
const TOPIC = topics.ttsUplink(APP, TENANT, 'lht65-river-02');
const GATEWAY_TIME = '2025-11-28T06:40:02.471823Z';

/** An uplink as The Things Stack v3 publishes it (a Dragino LHT65 with the vendor's formatter). */
function uplink(overrides: { decoded_payload?: unknown; f_cnt?: number; device?: string } = {}): Record<string, unknown> {
  const deviceId = overrides.device ?? 'lht65-river-02';
  const message: Record<string, unknown> = {
    session_key_id: 'AYvWQk3c3G3pw1ZV0cnRZA==',
    f_port: 2,
    frm_payload: 'y7gJagI9AX//f/8=',
    decoded_payload: { BatV: 3.05, Bat_status: 3, Ext_sensor: 'Temperature Sensor', Hum_SHT: 51.4, TempC_DS: 327.67, TempC_SHT: 22.54 },
    rx_metadata: [
      {
        gateway_ids: { gateway_id: 'chicago-loop-gw-1', eui: 'A840411D2E984150' },
        time: GATEWAY_TIME,
        timestamp: 3168447540,
        rssi: -97,
        channel_rssi: -97,
        snr: 7.25,
        location: { latitude: 41.8832, longitude: -87.6324, altitude: 190, source: 'SOURCE_REGISTRY' },
        uplink_token: 'CiAKHgoSY2hpY2Fnby1sb29wLWd3LTESCKhAQR0umEFQELSC/OkLGgwIu8yHyQYQ2PXr5QEgoPHgqPKTAQ==',
        channel_index: 3,
        received_at: '2025-11-28T06:40:02.489Z',
      },
      {
        gateway_ids: { gateway_id: 'packetbroker' },
        packet_broker: { forwarder_net_id: '000013', forwarder_tenant_id: 'ttn', forwarder_cluster_id: 'nam1.cloud.thethings.network' },
        rssi: -112,
        snr: -3.5,
        received_at: '2025-11-28T06:40:02.512Z',
      },
    ],
    settings: {
      data_rate: { lora: { bandwidth: 125000, spreading_factor: 7, coding_rate: '4/5' } },
      frequency: '904300000',
      timestamp: 3168447540,
      time: GATEWAY_TIME,
    },
    received_at: '2025-11-28T06:40:02.519493145Z',
    consumed_airtime: '0.071936s',
    network_ids: { net_id: '000013', ns_id: 'EC656E0000000181', tenant_id: 'ttn', cluster_id: 'nam1', cluster_address: 'nam1.cloud.thethings.network' },
  };
  if (overrides.f_cnt !== undefined) message.f_cnt = overrides.f_cnt;
  if ('decoded_payload' in overrides) {
    if (overrides.decoded_payload === undefined) delete message.decoded_payload;
    else message.decoded_payload = overrides.decoded_payload;
  }
  return {
    end_device_ids: {
      device_id: deviceId,
      application_ids: { application_id: APP },
      dev_eui: 'A840418C81839B2E',
      join_eui: 'A840410000000101',
      dev_addr: '260C4F1B',
    },
    correlation_ids: ['gs:uplink:01JDW9Z4X3Q3Q6N3D5H2V7K9AB', 'as:up:01JDW9Z4XB8M1S2T3V4W5X6Y7Z'],
    received_at: '2025-11-28T06:40:02.530982321Z',
    uplink_message: message,
  };
}

function decode(body: unknown, ctx = context(), topic = TOPIC) {
  return decodeMessage(topic, jsonBytes(body), ctx);
}

describe('The Things Stack v3 uplinks', () => {
  it('decodes a registered device: numeric fields as metrics, gateway time, registry kind and district', () => {
    const ctx = context([device('lht65-river-02', { kind: 'water_level', district: 'near-north', position: IN_NEAR_NORTH })]);
    const decoded = accepted(decode(uplink({ f_cnt: 1342 }), ctx));
    expect(decoded.readings).toEqual([
      {
        deviceId: 'lht65-river-02',
        kind: 'water_level',
        observedAt: Date.parse('2025-11-28T06:40:02.471Z'),
        metrics: { bat_v: 3.05, bat_status: 3, hum_sht: 51.4, temp_c_ds: 327.67, temp_c_sht: 22.54 },
        district: 'near-north',
      },
    ]);
    expect(decoded.dedupeKey).toBe('tts:city-lorawan@ttn:lht65-river-02:1342');
    expect(decoded.seenDevices).toBeUndefined();
  });

  it('the same uplink delivered twice has the same dedupe key', () => {
    const a = accepted(decode(uplink({ f_cnt: 7 })));
    const b = accepted(decode({ ...uplink({ f_cnt: 7 }), correlation_ids: ['as:up:other'] }));
    const next = accepted(decode(uplink({ f_cnt: 8 })));
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(next.dedupeKey).not.toBe(a.dedupeKey);
  });

  it('f_cnt left out (proto3 omits zero) counts as 0', () => {
    expect(accepted(decode(uplink())).dedupeKey).toBe('tts:city-lorawan@ttn:lht65-river-02:0');
  });

  it('an unregistered device is announced with the inferred kind', () => {
    const body = uplink({ device: 'ws-noise-17', decoded_payload: { LAeq: 58.2, LAmax: 71.9, battery: 98 } });
    const decoded = accepted(decode(body, context(), topics.ttsUplink(APP, TENANT, 'ws-noise-17')));
    expect(decoded.readings[0]).toMatchObject({ kind: 'noise', metrics: { laeq: 58.2, lamax: 71.9, battery: 98 } });
    expect(decoded.seenDevices).toEqual([{ id: 'ws-noise-17', kind: 'noise' }]);
  });

  it('nested objects are flattened with "_", non-numeric values skipped', () => {
    const decoded_payload = {
      air: { pm2_5: 8.1, pm10: 12, status: 'ok' },
      gps: { fix: true, sats: 9 },
      tags: [1, 2],
      nothing: null,
      pm25: 7.9,
    };
    const decoded = accepted(decode(uplink({ decoded_payload })));
    expect(decoded.readings[0]!.metrics).toEqual({ air_pm2_5: 8.1, air_pm10: 12, gps_sats: 9, pm25: 7.9 });
    expect(flattenDecodedPayload(decoded_payload)).toEqual([
      ['air.pm2_5', 8.1],
      ['air.pm10', 12],
      ['gps.sats', 9],
      ['pm25', 7.9],
    ]);
  });

  it('the user location gives the position and district; it is announced with the device', () => {
    const body = uplink();
    (body.uplink_message as Record<string, unknown>).locations = {
      user: { latitude: IN_LOOP.lat, longitude: IN_LOOP.lon, altitude: 181, source: 'SOURCE_REGISTRY' },
    };
    const decoded = accepted(decode(body));
    expect(decoded.readings[0]).toMatchObject({ position: IN_LOOP, district: 'loop' });
    expect(decoded.seenDevices).toEqual([{ id: 'lht65-river-02', kind: 'generic', position: IN_LOOP }]);
  });

  it("a tracker's own fix (frm-payload) wins over the console location", () => {
    const body = uplink();
    (body.uplink_message as Record<string, unknown>).locations = {
      user: { latitude: IN_LOOP.lat, longitude: IN_LOOP.lon, source: 'SOURCE_REGISTRY' },
      'frm-payload': { latitude: IN_NEAR_NORTH.lat, longitude: IN_NEAR_NORTH.lon, source: 'SOURCE_GPS' },
    };
    expect(accepted(decode(body)).readings[0]).toMatchObject({ position: IN_NEAR_NORTH, district: 'near-north' });
  });

  it('without gateway time, the network receipt time is used; without any, the time of receipt', () => {
    const body = uplink();
    const message = body.uplink_message as Record<string, unknown>;
    message.rx_metadata = [{ gateway_ids: { gateway_id: 'gw-no-gps' }, rssi: -80, snr: 9 }];
    expect(accepted(decode(body)).readings[0]!.observedAt).toBe(Date.parse('2025-11-28T06:40:02.519Z'));
    delete message.received_at;
    expect(accepted(decode(body)).readings[0]!.observedAt).toBe(Date.parse('2025-11-28T06:40:02.530Z'));
    delete body.received_at;
    delete message.rx_metadata;
    expect(accepted(decode(body)).readings[0]!.observedAt).toBe(RECEIVED_AT);
  });

  it('a gateway clock gone wrong falls back to the network time', () => {
    const body = uplink();
    const message = body.uplink_message as Record<string, unknown>;
    message.rx_metadata = [{ gateway_ids: { gateway_id: 'gw-bad-clock' }, time: '1980-01-06T00:00:00Z' }];
    expect(accepted(decode(body)).readings[0]!.observedAt).toBe(Date.parse('2025-11-28T06:40:02.519Z'));
  });

  it('is callable directly with the topic parts', () => {
    const result = parseTtsUplink({ app: APP, tenant: TENANT, device: 'lht65-river-02' }, uplink(), context());
    expect(accepted(result).readings).toHaveLength(1);
  });
});

describe('The Things Stack refusals', () => {
  it('no decoded_payload: the formatter is missing', () => {
    expect(refused(decode(uplink({ decoded_payload: undefined })), 'invalid-schema')).toBe(
      'uplink_message: no decoded_payload: set a payload formatter in The Things Stack (f_port 2)',
    );
  });

  it('a decoded_payload with nothing numeric', () => {
    expect(refused(decode(uplink({ decoded_payload: { status: 'ok', door: true } })), 'invalid-schema')).toBe(
      'uplink_message.decoded_payload: no numeric fields (got keys status, door)',
    );
    expect(refused(decode(uplink({ decoded_payload: {} })), 'invalid-schema')).toBe(
      'uplink_message.decoded_payload: no numeric fields (got an empty object)',
    );
  });

  it('a field that cannot become a metric name, or two that become the same one', () => {
    expect(refused(decode(uplink({ decoded_payload: { '3d_fix': 1 } })), 'invalid-metric')).toBe(
      'uplink_message.decoded_payload.3d_fix: metric name "3d_fix" must be a lowercase letter then up to 63 of a-z, 0-9, _',
    );
    expect(refused(decode(uplink({ decoded_payload: { TempC: 1, temp_c: 2 } })), 'invalid-metric')).toBe(
      'uplink_message.decoded_payload.temp_c: gives metric temp_c, like uplink_message.decoded_payload.TempC',
    );
  });

  it('missing device ids or uplink_message', () => {
    expect(refused(decode({ uplink_message: {} }), 'invalid-schema')).toBe('end_device_ids: required');
    const { uplink_message: _, ...noUplink } = uplink();
    expect(refused(decode(noUplink), 'invalid-schema')).toBe('uplink_message: required');
    expect(refused(decode([uplink()]), 'invalid-schema')).toBe('payload: expected an object (got an array)');
  });

  it('a device id that differs from the topic, or cannot be a device id', () => {
    expect(refused(decode(uplink({ device: 'other-device' })), 'invalid-schema')).toBe(
      'end_device_ids.device_id "other-device" differs from the topic\'s "lht65-river-02"',
    );
    const upper = uplink({ device: 'LHT65' });
    expect(refused(decode(upper, context(), topics.ttsUplink(APP, TENANT, 'LHT65')), 'invalid-schema')).toBe(
      'end_device_ids.device_id "LHT65" must be 1-64 of a-z, 0-9, _, ., - starting with a letter or digit',
    );
  });

  it('an application id that differs from the topic', () => {
    expect(refused(decode(uplink(), context(), topics.ttsUplink('other-app', TENANT, 'lht65-river-02')), 'invalid-schema')).toBe(
      'end_device_ids.application_ids.application_id "city-lorawan" differs from the topic\'s "other-app"',
    );
  });

  it('an f_cnt that is not a counter', () => {
    expect(refused(decode(uplink({ f_cnt: -1 })), 'invalid-schema')).toBe('uplink_message.f_cnt: expected at least 0 (got -1)');
  });

  it('every time out of range', () => {
    const body = uplink();
    const message = body.uplink_message as Record<string, unknown>;
    message.rx_metadata = [{ time: '2023-01-01T00:00:00Z' }];
    message.received_at = '2023-01-01T00:00:01Z';
    body.received_at = '2023-01-01T00:00:01Z';
    expect(refused(decode(body), 'timestamp-out-of-range')).toBe(
      'uplink_message.rx_metadata[0].time 2023-01-01T00:00:00.000Z is 1062 days before receipt (limit 365 days)',
    );
  });

  it('a location out of range', () => {
    const body = uplink();
    (body.uplink_message as Record<string, unknown>).locations = { user: { latitude: 95, longitude: 0 } };
    expect(refused(decode(body), 'invalid-schema')).toBe(
      'uplink_message.locations.user.lat: expected a latitude in -90..90 (got 95)',
    );
  });
});
