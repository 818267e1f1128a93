// `npm start` as a user runs it: the whole system in one process, the demo fleet's readings stored,
// a device added with the CLI publishing through mosquitto_pub, and a clean stop on SIGTERM.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { createSqliteStore, createLogger } from '@city/shared';
import { track } from './support/teardown.ts';
import { tmpDir } from './support/tmp.ts';
import { startRedis } from './support/redis.ts';
import { startSystem } from './support/system.ts';
import { waitFor } from './support/wait.ts';

const run = promisify(execFile);

const metric = (text: string, name: string) => Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? NaN);

it('runs broker, ingest, dashboard and the demo fleet, and stores what a new device publishes', async () => {
  const dataDir = tmpDir();
  const env = { ...process.env, DATA_DIR: dataDir };
  const { child, base, mqttPort, output } = await startSystem(dataDir, {
    DEMO_SENSORS: '8',
    DEMO_CAMERAS: '2',
    DEMO_TTS_DEVICES: '2',
    DEMO_INTERVAL_S: '1',
  });

  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  await waitFor('demo readings written', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return metric(text, 'city_ingest_readings_written_total') >= 12 ? true : undefined;
  });
  const page = await (await fetch(`${base}/status`)).text();
  expect(page).toContain('City operations control centre');

  // A device added by the CLI while the system runs, publishing through Mosquitto's client.
  const added = await run(process.execPath, ['--import', 'tsx', 'broker/src/devices-cli.ts', 'add', 'aq-e2e-1', '--kind', 'air_quality', '--lat', '41.8789', '--lon', '-87.6359'], { env });
  const secret = added.stdout.match(/^secret: (\S+)$/m)![1]!;
  const observedAt = Date.now() - 1000;
  await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-u', 'aq-e2e-1', '-P', secret, '-q', '1', '-t', 'city/sensors/aq-e2e-1/up',
    '-m', JSON.stringify({ observedAt, metrics: { pm25_ugm3: 42.5 } })]);

  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect(code, output()).toBe(0);

  // After a clean stop the reading is in the embedded store, with the device's district.
  const store = track(createSqliteStore({ file: `${dataDir}/timeseries.sqlite`, logger: createLogger('test') }), (s) => s.stop());
  await store.start();
  const points = await store.query({ kind: 'air_quality', deviceId: 'aq-e2e-1', fromMs: observedAt - 1, toMs: observedAt + 1 });
  expect(points).toEqual([expect.objectContaining({ t: observedAt, metrics: { pm25_ugm3: 42.5 } })]);
});

it('runs the same on Redis (REDIS_URL): the broker joins the cluster and ingest, subscribing with its persistent session, stores the demo readings', async () => {
  const redis = await startRedis();
  const { child, base, output } = await startSystem(tmpDir(), { REDIS_URL: redis.url, DEMO_SENSORS: '4', DEMO_CAMERAS: '0', DEMO_TTS_DEVICES: '0', DEMO_INTERVAL_S: '1', DEMO_REPORTS_PER_MIN: '0' });
  await waitFor('demo readings written', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return metric(text, 'city_ingest_readings_written_total') >= 8 ? true : undefined;
  });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect(code, output()).toBe(0);
});

it('refuses to start with one list of every configuration problem', async () => {
  const env = { ...process.env, DATA_DIR: tmpDir(), MQTT_PORT: 'abc', INFLUX_URL: 'not a url', INGEST_BATCH_MAX_READINGS: '-5', HTTP_PORT: '70000' };
  const result = await run(process.execPath, ['--import', 'tsx', 'src/start.ts'], { env }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  expect(result.code).toBe(2);
  for (const variable of ['MQTT_PORT', 'INFLUX_URL', 'INGEST_BATCH_MAX_READINGS', 'HTTP_PORT']) {
    expect(result.stderr).toMatch(new RegExp(`- ${variable}: expected`));
  }
});
