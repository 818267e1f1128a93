// What ingest does with each kind of message: dead letters (published, logged, counted, kept), camera
// snapshots and events, TTS duplicates, late readings. Real broker with auth, real SQLite store.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../../test/support/teardown.ts';
import { DeadLetterLog } from '../src/adapters/dead-letter-log.ts';
import type { DeadLetter } from '../src/core/dead-letter.ts';
import { logged } from './support/logs.ts';
import { connect, deviceClient, publishAll, reading, startIngest, startTestBroker } from './support/stack.ts';
import { waitFor } from '../../test/support/wait.ts';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('not really an image, but a JPEG signature')]);

function ttsUplink(device: string, fCnt: number, receivedAtMs: number) {
  return JSON.stringify({
    end_device_ids: { device_id: device, application_ids: { application_id: 'city-app' } },
    correlation_ids: [`as:up:${fCnt}`],
    received_at: new Date(receivedAtMs).toISOString(),
    uplink_message: { f_port: 1, f_cnt: fCnt, decoded_payload: { water_level_cm: 42.5 } },
  });
}

describe('dead letters', () => {
  it('publishes, logs once per reason and topic, counts and keeps bad messages while good ones around them are stored', async () => {
    const tb = await startTestBroker();
    const { ingest, store, logs, config } = await startIngest(tb, { INGEST_MAX_PAYLOAD_BYTES: '2048' });
    const svcSecret = await tb.add('svc-watch', { role: 'service', kind: 'generic' });
    const watcher = await connect(tb.url, { clientId: 'svc-watch', username: 'svc-watch', password: svcSecret });
    const letters: { topic: string; body: DeadLetter }[] = [];
    watcher.on('message', (topic, payload) => letters.push({ topic, body: JSON.parse(payload.toString()) as DeadLetter }));
    await watcher.subscribeAsync('city/deadletter/#', { qos: 0 });

    const device = await deviceClient(tb, 'aq-mixed');
    const topic = 'city/sensors/aq-mixed/up';
    const base = Date.now() - 30_000;
    const bad: [string, string | Buffer][] = [
      ['not-json', 'this is {not json'],
      ['invalid-metric', JSON.stringify({ metrics: { 'PM2.5': 3 } })],
      ['timestamp-out-of-range', JSON.stringify({ observedAt: Date.now() + 3_600_000, metrics: { pm25_ugm3: 1 } })],
      ['payload-too-large', JSON.stringify({ metrics: { pm25_ugm3: 1 }, pad: 'x'.repeat(3000) })],
      ['not-json', 'this is {not json either'],
    ];
    // good, bad, good, bad, ... good
    for (let i = 0; i < bad.length; i++) {
      await device.publishAsync(topic, reading(i, base), { qos: 1 });
      await device.publishAsync(topic, bad[i]![1], { qos: 1 });
    }
    await device.publishAsync(topic, reading(bad.length, base), { qos: 1 });
    // a topic ingest subscribes to but no decoder knows, published by a service account
    await watcher.publishAsync('v3/no-tenant/devices/x1/up', '{}', { qos: 1 });
    // not a JPEG on a snapshot topic
    const camera = await deviceClient(tb, 'cam-bad', 'camera');
    await camera.publishAsync('city/cameras/cam-bad/snapshot', 'GIF89a', { qos: 1 });

    await waitFor('seven dead letters on city/deadletter/#', () => letters.length >= 7);
    await waitFor('good readings written', () => ingest.stats().readingsWritten >= bad.length + 1);
    expect(await store.countPoints('air_quality', 'aq-mixed')).toBe(bad.length + 1);

    expect(letters.map((l) => l.topic).sort()).toEqual(
      [
        'city/deadletter/invalid-metric',
        'city/deadletter/not-jpeg',
        'city/deadletter/not-json',
        'city/deadletter/not-json',
        'city/deadletter/payload-too-large',
        'city/deadletter/timestamp-out-of-range',
        'city/deadletter/unknown-topic',
      ].sort(),
    );
    const first = letters.find((l) => l.body.reason === 'not-json')!.body;
    expect(first).toMatchObject({ reason: 'not-json', topic, payloadBytes: 17 });
    expect(Buffer.from(first.payloadBase64, 'base64').toString()).toBe('this is {not json');
    expect(first.detail).toBeTruthy();
    expect(Math.abs(first.receivedAt - Date.now())).toBeLessThan(60_000);
    const tooLarge = letters.find((l) => l.body.reason === 'payload-too-large')!.body;
    expect(tooLarge.payloadBytes).toBeGreaterThan(3000);
    expect(Buffer.from(tooLarge.payloadBase64, 'base64').length).toBe(tooLarge.payloadBytes); // under 4 KiB: whole

    expect(ingest.stats().deadLetters).toEqual({
      'not-json': 2,
      'invalid-metric': 1,
      'timestamp-out-of-range': 1,
      'payload-too-large': 1,
      'unknown-topic': 1,
      'not-jpeg': 1,
    });
    expect(ingest.metricsText()).toContain('city_ingest_dead_letters_total{reason="not-json"} 2');
    // logged once per (reason, topic): the second not-json on the same topic is not a new line
    const lines = logged(logs, 'dead-lettered', 'warn');
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.fields?.reason === 'not-json')).toHaveLength(1);

    // the embedded log keeps them too
    const log = track(new DeadLetterLog(config.deadLetter.file, 1000), (l) => l.close());
    expect(log.count()).toBe(7);
    expect(log.count('not-json')).toBe(2);
    expect(log.recent(1, 'unknown-topic')[0]).toMatchObject({ topic: 'v3/no-tenant/devices/x1/up', payloadBytes: 2 });
  });

  it('keeps only the first 4 KiB of a large bad payload', async () => {
    const tb = await startTestBroker();
    const { ingest } = await startIngest(tb);
    const device = await deviceClient(tb, 'aq-big');
    const big = Buffer.alloc(100_000, 0x41); // "AAAA...": not JSON
    await device.publishAsync('city/sensors/aq-big/up', big, { qos: 1 });
    await waitFor('dead-lettered', () => ingest.stats().deadLetters['not-json'] === 1);
  });
});

describe('cameras', () => {
  it('stores the latest snapshot per camera and a detection as a reading', async () => {
    const tb = await startTestBroker();
    const { ingest, store, config } = await startIngest(tb);
    const camera = await deviceClient(tb, 'cam-7', 'camera');
    await camera.publishAsync('city/cameras/cam-7/snapshot', JPEG, { qos: 1 });
    const file = join(config.dataDir, 'snapshots', 'cam-7.jpg');
    await waitFor('snapshot file', () => existsSync(file));
    expect(readFileSync(file)).toEqual(JPEG);

    const newer = Buffer.concat([JPEG, Buffer.from(' v2')]);
    await camera.publishAsync('city/cameras/cam-7/snapshot', newer, { qos: 1 });
    await waitFor('snapshot replaced', () => readFileSync(file).equals(newer));
    expect(ingest.stats().snapshots).toBe(2);

    await camera.publishAsync('city/cameras/cam-7/events', JSON.stringify({ label: 'person', score: 0.91, eventId: 'e1' }), { qos: 1 });
    await waitFor('detection written', () => ingest.stats().readingsWritten === 1);
    expect(await store.countPoints('camera', 'cam-7')).toBe(1);
  });
});

describe('The Things Stack uplinks', () => {
  it('counts a duplicate uplink once, stores it once and registers the new device', async () => {
    const tb = await startTestBroker();
    const { ingest, store } = await startIngest(tb);
    const secret = await tb.add('tts-bridge', { role: 'gateway', kind: 'generic', topicPrefixes: ['v3/'] });
    const bridge = await connect(tb.url, { clientId: 'tts-bridge', username: 'tts-bridge', password: secret });
    const topic = 'v3/city-app@ttn/devices/wl-9/up';
    const at = Date.now() - 5_000;
    await bridge.publishAsync(topic, ttsUplink('wl-9', 17, at), { qos: 1 });
    await bridge.publishAsync(topic, ttsUplink('wl-9', 17, at), { qos: 1 }); // the same uplink again
    await bridge.publishAsync(topic, ttsUplink('wl-9', 18, at + 1000), { qos: 1 });
    await waitFor('two readings written', () => ingest.stats().readingsWritten === 2);
    const stats = ingest.stats();
    expect(stats.messagesReceived).toBe(3);
    expect(stats.duplicates).toBe(1);
    expect(stats.readingsAccepted).toBe(2);
    const registered = tb.registry.get('wl-9');
    expect(registered).toMatchObject({ id: 'wl-9', hasSecret: false });
    expect(await store.countPoints(registered!.kind, 'wl-9')).toBe(2);
  });
});

describe('late readings', () => {
  it('stores readings observed long before receipt and counts them as late', async () => {
    const tb = await startTestBroker();
    const { ingest, store } = await startIngest(tb, { INGEST_LATE_AFTER_MS: '60000' });
    const device = await deviceClient(tb, 'aq-late');
    await publishAll(device, 'city/sensors/aq-late/up', [
      JSON.stringify({ observedAt: Date.now() - 10 * 60_000, metrics: { pm25_ugm3: 1 } }),
      JSON.stringify({ observedAt: Date.now() - 1000, metrics: { pm25_ugm3: 2 } }),
    ]);
    await waitFor('both written', () => ingest.stats().readingsWritten === 2);
    expect(ingest.stats().lateReadings).toBe(1);
    expect(await store.countPoints('air_quality', 'aq-late')).toBe(2);
  });
});

describe('device registry changes', () => {
  it('sees a kind changed in the registry once the cache entry expires', async () => {
    const tb = await startTestBroker();
    const { ingest, store } = await startIngest(tb, { INGEST_DEVICE_CACHE_TTL_MS: '200' });
    const device = await deviceClient(tb, 'dev-x', 'noise');
    await device.publishAsync('city/sensors/dev-x/up', JSON.stringify({ metrics: { level_db: 1 } }), { qos: 1 });
    await waitFor('first written', () => ingest.stats().readingsWritten === 1);
    // the devices CLI removes and re-adds it with another kind, in another process as far as ingest knows
    tb.registry.remove('dev-x');
    await tb.registry.add({ id: 'dev-x', kind: 'water_level' });
    await new Promise((r) => setTimeout(r, 300));
    await device.publishAsync('city/sensors/dev-x/up', JSON.stringify({ metrics: { level_db: 2 } }), { qos: 1 });
    await waitFor('second written', () => ingest.stats().readingsWritten === 2);
    expect(await store.countPoints('noise', 'dev-x')).toBe(1);
    expect(await store.countPoints('water_level', 'dev-x')).toBe(1);
  });
});
