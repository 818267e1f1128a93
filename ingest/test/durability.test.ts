// No loss of an accepted reading: ingest killed with SIGKILL mid-stream and restarted; InfluxDB stopped
// mid-stream while publishing continues, then restarted.
import { describe, expect, it } from 'vitest';
import { startInfluxd } from '../../test/support/influxd.ts';
import { track } from '../../test/support/teardown.ts';
import { spawnIngest } from './support/child.ts';
import { logged } from './support/logs.ts';
import {
  deviceClient,
  ingestConfig,
  openStore,
  publishAll,
  reading,
  startIngest,
  startTestBroker,
  storeEnv,
  type StoreKind,
} from './support/stack.ts';
import { sleep, waitFor } from '../../test/support/wait.ts';

describe.each<StoreKind>(['sqlite', 'influxdb'])('crash safety with %s', (kind) => {
  it('loses nothing and duplicates nothing when ingest is killed with SIGKILL mid-stream', async () => {
    const influxd = kind === 'influxdb' ? track(await startInfluxd(), (i) => i.destroy()) : undefined;
    const tb = await startTestBroker();
    const password = await tb.add('ingest', { role: 'service', kind: 'generic' });
    const env = {
      DATA_DIR: tb.dataDir,
      MQTT_URL: tb.url,
      INGEST_MQTT_USERNAME: 'ingest',
      INGEST_MQTT_PASSWORD: password,
      ...storeEnv(kind, influxd),
    };
    // the first run holds readings in its journal for a second, so the kill always catches some there
    const first = spawnIngest({ ...env, INGEST_BATCH_MAX_WAIT_MS: '1000', INGEST_BATCH_MAX_READINGS: '50000' });
    await waitFor('first ingest running', () => first.logs.some((l) => l.msg === 'ingest running'), 30_000);

    const N = 20_000;
    const base = Date.now() - 120_000;
    const device = await deviceClient(tb, 'aq-crash');
    const publishing = publishAll(
      device,
      'city/sensors/aq-crash/up',
      Array.from({ length: N }, (_, i) => reading(i, base)),
      50,
    );
    await waitFor('a quarter accepted', async () => (await first.metric('city_ingest_readings_accepted_total')) >= N / 4, 30_000, 20);
    first.child.kill('SIGKILL');
    await first.exited;
    // the rest is queued by the broker for ingest's persistent session
    await publishing;

    const second = spawnIngest(env);
    await waitFor('second ingest running', () => second.logs.some((l) => l.msg === 'ingest running'), 30_000);
    const replay = second.logs.find((l) => l.msg === 'journal has records not yet in the store: replaying them');
    expect(replay?.records).toBeGreaterThan(0);

    const store = await openStore(ingestConfig(env).store);
    await waitFor('every reading in the store', async () => (await store.countPoints('air_quality', 'aq-crash')) >= N, 60_000, 200);
    // nothing more trickles in: exactly N, not N plus replayed duplicates
    await waitFor('journal drained', async () => (await second.metric('city_ingest_journal_pending_records')) === 0, 10_000);
    expect(await store.countPoints('air_quality', 'aq-crash')).toBe(N);
    const health = await fetch(`${await second.httpUrl()}/healthz`);
    expect(health.status).toBe(200);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});

describe('InfluxDB outage', () => {
  it('keeps every accepted reading while influxd is down for 30 s, logging the outage and the recovery once each', async () => {
    const influxd = track(await startInfluxd(), (i) => i.destroy());
    const tb = await startTestBroker();
    const { ingest, store, logs } = await startIngest(tb, { ...storeEnv('influxdb', influxd), INGEST_RETRY_MAX_MS: '1000' });
    const device = await deviceClient(tb, 'aq-outage');
    const base = Date.now() - 120_000;

    // a steady stream, 200 readings/s, through the whole outage
    let sent = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const batch = Array.from({ length: 20 }, (_, i) => reading(sent + i, base));
        await publishAll(device, 'city/sensors/aq-outage/up', batch, 20);
        sent += batch.length;
        await sleep(100);
      }
    })();

    await waitFor('some written before the outage', () => ingest.stats().readingsWritten > 200, 10_000);
    await influxd.stop();
    await sleep(30_000);
    const during = ingest.stats();
    expect(during.storeHealthy).toBe(false);
    expect(during.journalPendingRecords).toBeGreaterThan(1000);
    expect(ingest.metricsText()).toContain('city_ingest_store_up 0');
    await influxd.start();
    await sleep(2000);
    publishing = false;
    await publisher;

    await waitFor('every reading written', () => ingest.stats().readingsWritten >= sent, 30_000);
    expect(await store.countPoints('air_quality', 'aq-outage')).toBe(sent);
    const stats = ingest.stats();
    expect(stats.readingsAccepted).toBe(sent);
    expect(stats.storeWriteErrors).toBeGreaterThan(0);
    expect(stats.storeHealthy).toBe(true);
    await waitFor('recovery logged', () => logged(logs, 'store writes recovered').length > 0, 10_000);
    expect(logged(logs, 'store writes failing', 'warn')).toHaveLength(1);
    const recovered = logged(logs, 'store writes recovered', 'info');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.fields?.outageMs).toBeGreaterThan(29_000);
    expect(recovered[0]!.fields?.drainedReadings).toBeGreaterThan(1000);
    const failing = logged(logs, 'store writes failing')[0]!;
    expect(failing.fields?.error).toBeTruthy();
  }, 120_000);
});

describe('journal bound', () => {
  it('holds acknowledgements when the journal is full (back-pressure) and loses nothing', async () => {
    const influxd = track(await startInfluxd(), (i) => i.destroy());
    const tb = await startTestBroker();
    const { ingest, store, logs } = await startIngest(tb, {
      ...storeEnv('influxdb', influxd),
      INGEST_RETRY_MAX_MS: '500',
      INGEST_MAX_PAYLOAD_BYTES: '4096',
      INGEST_JOURNAL_MAX_BYTES: String(1024 * 1024),
    });
    await influxd.stop();
    const device = await deviceClient(tb, 'aq-bound');
    const base = Date.now() - 120_000;
    const N = 12_000; // ~1.6 MiB of journal records: more than the cap
    const publishing = publishAll(device, 'city/sensors/aq-bound/up', Array.from({ length: N }, (_, i) => reading(i, base)), 200);
    await waitFor('journal full warning', () => logged(logs, 'journal full', 'warn').length > 0, 20_000);
    const held = ingest.stats();
    expect(held.journalPendingBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(held.readingsAccepted).toBeLessThan(N);
    await influxd.start();
    await publishing;
    await waitFor('every reading written', () => ingest.stats().readingsWritten >= N, 30_000);
    expect(await store.countPoints('air_quality', 'aq-bound')).toBe(N);
    expect(logged(logs, 'journal full', 'warn')).toHaveLength(1);
    expect(logged(logs, 'journal has room again', 'info')).toHaveLength(1);
  }, 90_000);
});
