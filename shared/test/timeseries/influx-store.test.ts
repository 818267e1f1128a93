import { describe, expect, it } from 'vitest';
import { freePort, startInfluxd, type Influxd } from '../../../test/support/influxd.ts';
import { track } from '../../../test/support/teardown.ts';
import { createLogger, setLogLevel } from '../../src/logger.ts';
import { StoreError } from '../../src/timeseries/errors.ts';
import { createInfluxStore, type InfluxStoreOptions } from '../../src/timeseries/influx-store.ts';
import { describeStoreContract, series, T0 } from './store-contract.ts';

setLogLevel('warn');
const logger = createLogger('test:influx-store');

async function influxd(): Promise<Influxd> {
  return track(await startInfluxd(), (d) => d.destroy());
}

function store(options: Omit<InfluxStoreOptions, 'logger'>) {
  return track(createInfluxStore({ logger, ...options }), (s) => s.stop());
}

async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

describeStoreContract('influxdb-v1 (Debian influxd 1.6.7)', async () => {
  const server = await influxd();
  const s = store({ url: server.url, database: 'city' });
  await s.start();
  return s;
});

describe('influxdb store', () => {
  it('creates its database at start, once', async () => {
    const server = await influxd();
    const s = store({ url: server.url, database: 'city ops', writeTimeoutMs: 2000 });
    await s.start();
    await s.start();
    expect(JSON.stringify(await server.query('', 'SHOW DATABASES'))).toContain('"city ops"');
    expect(s.name).toBe('influxdb-v1');
  });

  it('a write to a stopped server rejects clearly, and a retry once it is back loses nothing', async () => {
    const server = await influxd();
    const s = store({ url: server.url, database: 'city', writeTimeoutMs: 2000 });
    await s.start();
    const first = series('aq-1', 100);
    const second = series('aq-1', 100, 'air_quality', T0 + 100_000);
    await s.write(first);
    await server.stop();
    const err = await rejection(s.write(second));
    expect(err.reason).toBe('unreachable');
    expect(err.retriable).toBe(true);
    // a kept-alive socket the server closed shows as a reset, a new connection as refused
    expect(err.message).toMatch(/unreachable.*\((ECONNREFUSED|ECONNRESET|EPIPE)\).*check INFLUX_URL/);
    await server.start();
    // the caller's retry: the same batch again
    await s.write(second);
    expect(await s.countPoints('air_quality', 'aq-1')).toBe(200);
  });

  it('start() against an unreachable URL rejects clearly', async () => {
    const port = await freePort();
    const s = store({ url: `http://127.0.0.1:${port}`, database: 'city', writeTimeoutMs: 2000 });
    const err = await rejection(s.start());
    expect(err.reason).toBe('unreachable');
    expect(err.message).toContain(`InfluxDB at http://127.0.0.1:${port} is unreachable for a ping (ECONNREFUSED): check INFLUX_URL`);
  });

  it('a write to a missing database says which and what to check', async () => {
    const server = await influxd();
    const s = store({ url: server.url, database: 'never_created' }); // start() not called: nothing creates it
    const err = await rejection(s.write(series('aq-1', 3)));
    expect(err.reason).toBe('not_found');
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/database "never_created" not found .*database not found.*check INFLUX_DATABASE/);
    const q = await rejection(s.countPoints('air_quality'));
    expect(q.message).toMatch(/database "never_created" not found.*check INFLUX_DATABASE/);
  });

  it('a field type conflict is a 400 bad-data error, not retriable', async () => {
    const server = await influxd();
    const s = store({ url: server.url, database: 'city' });
    await s.start();
    const res = await fetch(`${server.url}/write?db=city&precision=ms`, { method: 'POST', body: `air_quality,device_id=x pm25_ugm3="text" ${T0}` });
    expect(res.status).toBe(204);
    const err = await rejection(s.write(series('aq-1', 3)));
    expect(err.reason).toBe('bad_data');
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/rejected the write as bad data \(400: partial write: field type conflict/);
  });

  it('a v2-mode store against this 1.6.7 server fails with a clear not-found error', async () => {
    const server = await influxd();
    const s = store({ url: server.url, org: 'city', bucket: 'telemetry', token: 'secret-token' });
    expect(s.name).toBe('influxdb-v2');
    const started = await rejection(s.start());
    expect(started.reason).toBe('not_found');
    expect(started.message).toMatch(/is version 1\.6\.7\S*, which has no v2 write API: set INFLUX_DATABASE instead of INFLUX_ORG\/INFLUX_BUCKET/);
    expect(started.message).not.toContain('secret-token');
    const written = await rejection(s.write(series('aq-1', 3)));
    expect(written.status).toBe(404);
    expect(written.message).toMatch(/has no v2 API \(404 on the write: 404 page not found\).*set INFLUX_DATABASE/);
  });

  it('refuses options that name neither or both APIs', () => {
    expect(() => createInfluxStore({ url: 'http://x', logger })).toThrow(/either database .* or org and bucket/);
    expect(() => createInfluxStore({ url: 'http://x', logger, database: 'a', bucket: 'b', org: 'c' })).toThrow(StoreError);
  });
});
