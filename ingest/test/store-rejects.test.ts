// A reading the store can never take (InfluxDB field type conflict) must not block the others: the
// writer halves the batch down to the refused readings and dead-letters them.
import { expect, it } from 'vitest';
import { startInfluxd } from '../../test/support/influxd.ts';
import { track } from '../../test/support/teardown.ts';
import { deviceClient, startIngest, startTestBroker, storeEnv } from './support/stack.ts';
import { waitFor } from '../../test/support/wait.ts';

it('dead-letters readings InfluxDB refuses (field type conflict) and writes the rest', async () => {
  const influxd = track(await startInfluxd(), (i) => i.destroy());
  const tb = await startTestBroker();
  const env = storeEnv('influxdb', influxd);
  const { ingest, store } = await startIngest(tb, { ...env, INGEST_BATCH_MAX_WAIT_MS: '500' });
  const base = Date.now() - 60_000;
  // someone wrote pm25_ugm3 as an integer field before: our float values now conflict
  const res = await fetch(`${influxd.url}/write?db=${env.INFLUX_DATABASE}&precision=ms`, {
    method: 'POST',
    body: `air_quality,device_id=legacy pm25_ugm3=1i ${base - 1000}`,
  });
  expect(res.status).toBe(204);

  const good = await deviceClient(tb, 'aq-no2');
  const bad = await deviceClient(tb, 'aq-pm');
  for (let i = 0; i < 5; i++) {
    await good.publishAsync('city/sensors/aq-no2/up', JSON.stringify({ observedAt: base + i, metrics: { no2_ugm3: 10 + i } }), { qos: 1 });
    if (i < 3) await bad.publishAsync('city/sensors/aq-pm/up', JSON.stringify({ observedAt: base + i, metrics: { pm25_ugm3: 2.5 } }), { qos: 1 });
  }
  await waitFor('journal drained', () => ingest.stats().readingsAccepted === 8 && ingest.stats().journalPendingRecords === 0, 20_000);
  expect(await store.countPoints('air_quality', 'aq-no2')).toBe(5);
  const stats = ingest.stats();
  expect(stats.storeRejected).toBe(3);
  expect(stats.deadLetters['store-rejected']).toBe(3);
  expect(stats.readingsWritten).toBe(5);
}, 60_000);
