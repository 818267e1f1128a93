// Write throughput of each adapter: batches of 1000 readings x 3 metrics, one write() at a time (the ingest
// drainer's pattern). Not a test: run `npx tsx shared/test/timeseries/throughput.ts [batches]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd } from '../../../test/support/influxd.ts';
import { createLogger, setLogLevel } from '../../src/logger.ts';
import type { Reading } from '../../src/reading.ts';
import { createInfluxStore } from '../../src/timeseries/influx-store.ts';
import { createSqliteStore } from '../../src/timeseries/sqlite-store.ts';
import type { TimeSeriesStore } from '../../src/timeseries/store.ts';

setLogLevel('warn');
const logger = createLogger('bench:store');
const BATCH = 1000;
const batches = Number(process.argv[2] ?? 100);
const DEVICES = 500;

function batch(b: number): Reading[] {
  const start = Date.UTC(2025, 0, 1) + b * 1000;
  return Array.from({ length: BATCH }, (_, i) => ({
    deviceId: `aq-${String(i % DEVICES).padStart(4, '0')}`,
    kind: 'air_quality' as const,
    observedAt: start + Math.floor(i / DEVICES) * 500,
    district: `d${i % 8}`,
    metrics: { pm25_ugm3: Math.random() * 50, no2_ugm3: Math.random() * 80, temp_c: 15 + Math.random() * 10 },
  }));
}

async function measure(store: TimeSeriesStore): Promise<void> {
  await store.start();
  const data = Array.from({ length: batches }, (_, b) => batch(b));
  await store.write(batch(batches + 10)); // warm-up
  const t0 = performance.now();
  for (const readings of data) await store.write(readings);
  const ms = performance.now() - t0;
  const points = batches * BATCH;
  console.log(
    `${store.name.padEnd(12)} ${points} readings (x3 metrics) in ${ms.toFixed(0)} ms: ${Math.round(points / (ms / 1000))} readings/s, ${(ms / batches).toFixed(1)} ms per batch of ${BATCH}`,
  );
  await store.stop();
}

const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
try {
  await measure(createSqliteStore({ file: join(dir, 'ts.sqlite'), logger }));
  const influxd = await startInfluxd();
  try {
    await measure(createInfluxStore({ url: influxd.url, database: 'bench', logger }));
  } finally {
    await influxd.destroy();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
