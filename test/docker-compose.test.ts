// docker-compose.yml cannot run here (no Docker engine); this keeps it honest by reading it: every
// service's entry point exists, every variable it sets is documented, and the dependencies line up.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const readme = readFileSync('README.md', 'utf8');
const ours = Object.entries(compose.services).filter(([, s]) => s.build === '.');

describe('docker-compose.yml', () => {
  it('has InfluxDB 2 set up by its init variables, and our services', () => {
    const influx = compose.services.influxdb!;
    expect(influx.image).toMatch(/^influxdb:2\./);
    expect(influx.environment?.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['influxdb', 'broker', 'ingest', 'dashboard', 'simulators', 'provision']),
    );
    expect(compose.services.simulators!.profiles).toEqual(['demo']);
  });

  it.each(ours)('%s runs a file that exists', (_name, service) => {
    const command = Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
    const files = [...command.matchAll(/([\w/.-]+\.ts)\b/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(file), file).toBe(true);
  });

  it.each(ours)('%s sets only variables the README documents', (_name, service) => {
    const own = Object.keys(service.environment ?? {}).filter((v) => !['NODE_ENV'].includes(v));
    // provision passes the secrets through to the devices CLI under the names the other services use
    for (const variable of own) expect(readme, `README lacks ${variable}`).toContain(`\`${variable}\``);
  });

  it('long-running services have health checks and wait for what they need', () => {
    for (const name of ['influxdb', 'broker', 'ingest', 'dashboard']) {
      expect(compose.services[name]!.healthcheck, name).toBeDefined();
    }
    expect(compose.services.ingest!.depends_on).toMatchObject({
      broker: { condition: 'service_healthy' },
      influxdb: { condition: 'service_healthy' },
      provision: { condition: 'service_completed_successfully' },
    });
  });

  it('ingest writes to the InfluxDB 2 service with the same org, bucket and token', () => {
    const env = compose.services.ingest!.environment!;
    const init = compose.services.influxdb!.environment!;
    expect(env.INFLUX_URL).toBe('http://influxdb:8086');
    expect(env.INFLUX_TOKEN).toBe('${INFLUX_TOKEN}');
    expect(init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toContain('INFLUX_TOKEN');
    expect(env.INFLUX_ORG).toBe('${INFLUX_ORG:-city}');
    expect(init.DOCKER_INFLUXDB_INIT_ORG).toBe('${INFLUX_ORG:-city}');
  });
  it('the scaled profile: Redis-shared brokers and dashboards, three ingest workers each with its own client id and journal, one rules engine', () => {
    const scaled = Object.entries(compose.services).filter(([, svc]) => svc.profiles?.includes('scaled')).map(([name]) => name);
    expect(scaled.sort()).toEqual(['broker-b', 'dashboard-b', 'ingest-2', 'ingest-3', 'mosquitto', 'postgres', 'redis']);
    const env = (name: string) => compose.services[name]!.environment!;
    for (const name of ['broker', 'broker-b', 'dashboard', 'dashboard-b']) expect(env(name).REDIS_URL, name).toMatch(/REDIS_URL/);
    expect(env('broker').BROKER_NAME).not.toBe(env('broker-b').BROKER_NAME);
    const workers = ['ingest', 'ingest-2', 'ingest-3'];
    expect(new Set(workers.map((w) => env(w).INGEST_CLIENT_ID)).size).toBe(3);
    expect(new Set(workers.map((w) => env(w).INGEST_JOURNAL_DIR ?? '/data/ingest-journal')).size).toBe(3);
    for (const w of ['ingest-2', 'ingest-3']) {
      expect(env(w).MQTT_URL).toBe('mqtt://mosquitto:1883');
      expect(env(w).INGEST_SHARED_GROUP).toBe('ingest');
    }
    expect(['dashboard', 'dashboard-b'].map((d) => env(d).RULES_ENGINE)).toEqual(['true', 'false']);
    expect(compose.services['dashboard-b']!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
  });
});
