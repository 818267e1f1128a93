import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createStore, readStoreConfig } from '../../src/timeseries/index.ts';

const logger = createLogger('test:store-config');

function read(vars: Record<string, string>) {
  const env = new EnvReader(vars);
  const config = readStoreConfig(env, '/var/city');
  return { config, problems: env.problems };
}

describe('readStoreConfig', () => {
  it('defaults to the embedded SQLite store under the data directory', () => {
    expect(read({})).toEqual({ config: { type: 'sqlite', file: '/var/city/timeseries.sqlite' }, problems: [] });
    expect(read({ SQLITE_RETENTION_DAYS: '30' }).config).toEqual({ type: 'sqlite', file: '/var/city/timeseries.sqlite', retentionDays: 30 });
  });

  it('INFLUX_URL with INFLUX_DATABASE selects the v1 API', () => {
    expect(read({ INFLUX_URL: 'http://influx:8086/', INFLUX_DATABASE: 'city' })).toEqual({
      config: { type: 'influxdb', url: 'http://influx:8086', database: 'city', writeTimeoutMs: 10_000 },
      problems: [],
    });
  });

  it('INFLUX_URL with org, bucket and token selects the v2 API', () => {
    const { config, problems } = read({
      INFLUX_URL: 'https://influx.example',
      INFLUX_ORG: 'city',
      INFLUX_BUCKET: 'telemetry',
      INFLUX_TOKEN: 't0k',
      INFLUX_WRITE_TIMEOUT_MS: '2500',
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({ type: 'influxdb', url: 'https://influx.example', org: 'city', bucket: 'telemetry', token: 't0k', writeTimeoutMs: 2500 });
  });

  it('INFLUX_URL alone says what else to set', () => {
    expect(read({ INFLUX_URL: 'http://influx:8086' }).problems).toEqual([
      'INFLUX_URL is set: also set INFLUX_DATABASE (InfluxDB 1.x, v1 API) or INFLUX_ORG and INFLUX_BUCKET with INFLUX_TOKEN (InfluxDB 2.x/3.x, v2 API)',
    ]);
  });

  it('both APIs at once is a problem', () => {
    const { problems } = read({ INFLUX_URL: 'http://influx:8086', INFLUX_DATABASE: 'city', INFLUX_BUCKET: 'b' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^INFLUX_DATABASE and INFLUX_ORG\/INFLUX_BUCKET: set one of the two/);
  });

  it('a half v2 configuration lists every missing piece', () => {
    expect(read({ INFLUX_URL: 'http://influx:8086', INFLUX_BUCKET: 'b' }).problems).toEqual([
      'INFLUX_ORG: required with INFLUX_BUCKET (the v2 API needs both)',
      'INFLUX_TOKEN: required with INFLUX_ORG and INFLUX_BUCKET (InfluxDB 2.x/3.x accept only authenticated writes)',
    ]);
  });

  it('collects every problem without throwing', () => {
    const { problems } = read({ INFLUX_URL: 'ftp://nope', INFLUX_DATABASE: 'x', INFLUX_WRITE_TIMEOUT_MS: 'soon', SQLITE_RETENTION_DAYS: '0' });
    expect(problems).toEqual([
      'INFLUX_URL: expected a URL starting with http: or https: (got "ftp://nope")',
      'INFLUX_WRITE_TIMEOUT_MS: expected an integer in 100..600000 (got "soon")',
      'SQLITE_RETENTION_DAYS: expected an integer in 1.. (got "0")',
    ]);
  });

  it('InfluxDB settings without INFLUX_URL are a problem, not a silent fallback to SQLite', () => {
    expect(read({ INFLUX_TOKEN: 't', INFLUX_DATABASE: 'city' }).problems).toEqual([
      'INFLUX_DATABASE, INFLUX_TOKEN: set but INFLUX_URL is not; set INFLUX_URL to write to InfluxDB, or unset them to use the embedded SQLite store',
    ]);
  });

  it('retention days apply to SQLite only', () => {
    expect(read({ INFLUX_URL: 'http://influx:8086', INFLUX_DATABASE: 'city', SQLITE_RETENTION_DAYS: '7' }).problems).toEqual([
      'SQLITE_RETENTION_DAYS: applies to the embedded SQLite store only; InfluxDB keeps data by its own retention policy',
    ]);
  });
});

describe('createStore', () => {
  it('chooses the adapter from the config', () => {
    expect(createStore({ type: 'sqlite', file: '/tmp/x.sqlite' }, logger).name).toBe('sqlite');
    expect(createStore({ type: 'influxdb', url: 'http://influx:8086', database: 'city', writeTimeoutMs: 1000 }, logger).name).toBe('influxdb-v1');
    const v2 = createStore({ type: 'influxdb', url: 'http://influx:8086', org: 'o', bucket: 'b', token: 't', writeTimeoutMs: 1000 }, logger);
    expect(v2.name).toBe('influxdb-v2');
  });
});
