// N readings in through the broker (mosquitto_pub and MQTT.js) -> exactly N points in the store, for
// the embedded SQLite store and for a real InfluxDB 1.x server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type Influxd } from '../../test/support/influxd.ts';
import {
  deviceClient,
  mosquittoPublishLines,
  publishAll,
  reading,
  startIngest,
  startTestBroker,
  storeEnv,
  type StoreKind,
} from './support/stack.ts';
import { waitFor } from '../../test/support/wait.ts';

let influxd: Influxd | undefined;
beforeAll(async () => {
  influxd = await startInfluxd();
}, 60_000);
afterAll(async () => {
  await influxd?.destroy();
});

describe.each<StoreKind>(['sqlite', 'influxdb'])('end to end into %s', (kind) => {
  it('stores exactly N points for N readings from mosquitto_pub and MQTT.js', async () => {
    const tb = await startTestBroker();
    const { ingest, store } = await startIngest(tb, storeEnv(kind, influxd));
    const base = Date.now() - 60_000;
    const N1 = 1500;
    const N2 = 1500;

    const secret = await tb.add('aq-mosq');
    await mosquittoPublishLines(tb, {
      username: 'aq-mosq',
      password: secret,
      topic: 'city/sensors/aq-mosq/up',
      lines: Array.from({ length: N1 }, (_, i) => reading(i, base)),
    });
    const client = await deviceClient(tb, 'aq-mqttjs');
    await publishAll(
      client,
      'city/sensors/aq-mqttjs/up',
      Array.from({ length: N2 }, (_, i) => reading(i, base)),
    );

    await waitFor('every reading written', () => ingest.stats().readingsWritten >= N1 + N2, 30_000);
    expect(await store.countPoints('air_quality', 'aq-mosq')).toBe(N1);
    expect(await store.countPoints('air_quality', 'aq-mqttjs')).toBe(N2);
    const stats = ingest.stats();
    expect(stats.messagesReceived).toBe(N1 + N2);
    expect(stats.readingsAccepted).toBe(N1 + N2);
    expect(stats.readingsWritten).toBe(N1 + N2);
    expect(stats.deadLetters).toEqual({});
    expect(stats.journalPendingRecords).toBe(0);
    expect(stats.writeLagP99S).toBeDefined();

    const history = await store.query({ kind: 'air_quality', deviceId: 'aq-mqttjs', metric: 'pm25_ugm3', fromMs: base, toMs: base + 3 });
    expect(history).toEqual([
      { t: base, metrics: { pm25_ugm3: 0 } },
      { t: base + 1, metrics: { pm25_ugm3: 1 } },
      { t: base + 2, metrics: { pm25_ugm3: 2 } },
    ]);

    const text = ingest.metricsText();
    expect(text).toContain(`city_ingest_readings_written_total ${N1 + N2}`);
    expect(text).toContain('city_ingest_journal_pending_records 0');
    expect(text).toMatch(/city_ingest_write_lag_seconds_count 3000/);
  });

  it('keeps the persistent session: readings published while ingest is stopped arrive after it restarts', async () => {
    const tb = await startTestBroker();
    const env = storeEnv(kind, influxd);
    const first = await startIngest(tb, env);
    const client = await deviceClient(tb, 'aq-offline');
    const base = Date.now() - 60_000;
    await publishAll(client, 'city/sensors/aq-offline/up', Array.from({ length: 100 }, (_, i) => reading(i, base)));
    await waitFor('first 100 written', () => first.ingest.stats().readingsWritten >= 100);
    await first.ingest.stop();

    // the broker queues these for ingest's session (clean: false, same client id)
    await publishAll(client, 'city/sensors/aq-offline/up', Array.from({ length: 200 }, (_, i) => reading(100 + i, base)));
    const second = await startIngest(tb, first.env, { store: first.store });
    await waitFor('queued 200 written', () => second.ingest.stats().readingsWritten >= 200, 20_000);
    expect(await second.store.countPoints('air_quality', 'aq-offline')).toBe(300);
  });
});

