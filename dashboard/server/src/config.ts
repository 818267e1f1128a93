import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvReader } from '@city/shared';
import { readAuthConfig, type AuthConfig } from './features/auth.ts';
import { readReportsConfig, type ReportsConfig } from './features/reports-config.ts';
import { readNotifyConfig, type NotifyConfig } from './notify/config.ts';
import { POSTGRES_URL_PROTOCOLS } from './ops/pg/url.ts';

/** Where `npm run build` in dashboard/web puts the web app. */
export const DEFAULT_WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export interface DashboardMqttConfig {
  url: string;
  /** registry account (role service) */
  username: string;
  password?: string;
}

export interface DashboardConfig {
  /** HTTP port of the dashboard; 0 = any free port */
  httpPort: number;
  httpHost: string;
  /** DATA_DIR: camera snapshots are read from `${dataDir}/snapshots/{id}.jpg` */
  dataDir: string;
  /** where the live feed subscribes */
  mqtt: DashboardMqttConfig;
  /**
   * TRUST_PROXY: which peers' X-Forwarded-For / X-Forwarded-Proto express believes (its `trust proxy`):
   * a hop count or a list of addresses, CIDRs and loopback / linklocal / uniquelocal. Unset: none, so
   * behind a load balancer every client would share the proxy's address in the rate limits.
   */
  trustProxy?: number | string[];
  /** socket.io clients get at most one `deltas` message per this many ms */
  pushIntervalMs: number;
  /** how often device states are re-evaluated (silence -> offline) and the registry re-read, ms */
  stateRefreshMs: number;
  /** maplibre style the web app loads; our offline basemap by default */
  mapStyleUrl: string;
  /** the built web app; served at / when the folder exists, else the status page is */
  webDir: string;
  incidents: IncidentsConfig;
  /** operator log-in: admin bootstrap, sessions, throttling */
  auth: AuthConfig;
  /** citizen reports: Open311 keys and catalogue, submission and photo limits, open data (time zone: incidents.timeZone) */
  reports: ReportsConfig;
  /** notifications about citizen reports: SMTP, SMS gateway, retries, reminders */
  notify: NotifyConfig;
  /**
   * REDIS_URL: several dashboard servers behind one address share socket.io broadcasts (the `/ops`
   * changes one server makes reach the operators on the others) through socket.io's Redis adapter.
   * Holds a password when one is set: never log it. Undefined = one server.
   */
  redisUrl?: URL;
  /**
   * DATABASE_URL: the operations store (operators, sessions, incidents, audit, rules, evidence, citizen
   * reports, the notifications outbox) on PostgreSQL, `postgres://user:password@host:5432/city_ops`,
   * shared by every dashboard server and the ops CLI. Holds a password: never log it. Undefined =
   * SQLite in `${dataDir}/ops.sqlite`.
   */
  databaseUrl?: URL;
}

export interface IncidentsConfig {
  /**
   * Whether this dashboard runs the rules engine. Exactly one process in a deployment should: rules
   * run in one place so each incident is raised once (several dashboards behind one address: one on).
   */
  rulesEngine: boolean;
  /** the rules file (YAML or JSON) loaded when the operations store holds no rule set yet */
  rulesFile: string;
  /** IANA time zone of the city: rules' active hours, Open311 times */
  timeZone: string;
  /** fusion gathers signals within this distance of an incident, m */
  fusionRadiusM: number;
  /** ... and within this time of it, ms */
  fusionWindowMs: number;
  /** how often silence rules, evidence retention and SLA checks run, ms */
  tickMs: number;
}

export function readDashboardConfig(env: EnvReader): DashboardConfig {
  const password = env.optionalStr('DASHBOARD_MQTT_PASSWORD');
  const url = env.optionalUrl('MQTT_URL', ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']);
  return {
    httpPort: env.port('HTTP_PORT', 8080),
    httpHost: env.str('HTTP_HOST', '0.0.0.0'),
    ...readTrustProxy(env),
    dataDir: env.str('DATA_DIR', './data'),
    mqtt: {
      url: url?.toString() ?? 'mqtt://localhost:1883',
      username: env.str('DASHBOARD_MQTT_USERNAME', 'dashboard'),
      ...(password !== undefined ? { password } : {}),
    },
    // 25 ms: a reading waits up to one interval for the next flush, so the target p99 publish -> client
    // <= 50 ms at 5k readings/s needs an interval well under 50 ms. Measured (npm run bench:map --
    // --parts live --clients node, 2 cores, two runs): p99 31-36 ms at 25, 44-50 at 40, 54-59 at 50.
    // It bounds a client to 40 messages/s (~0.8 us of JSON per device in them); a change after a quiet
    // spell still goes at once.
    pushIntervalMs: env.int('DASHBOARD_PUSH_INTERVAL_MS', 25, { min: 10, max: 60_000 }),
    stateRefreshMs: env.int('DASHBOARD_STATE_REFRESH_MS', 5000, { min: 100, max: 600_000 }),
    mapStyleUrl: env.str('MAP_STYLE_URL', '/map/style.json'),
    webDir: env.str('DASHBOARD_WEB_DIR', DEFAULT_WEB_DIR),
    incidents: readIncidentsConfig(env),
    auth: readAuthConfig(env),
    reports: readReportsConfig(env),
    notify: readNotifyConfig(env),
    redisUrl: env.optionalUrl('REDIS_URL', ['redis:', 'rediss:']),
    databaseUrl: env.optionalUrl('DATABASE_URL', [...POSTGRES_URL_PROTOCOLS]),
  };
}

/** The shipped rules: thresholds, silence, camera and infringement rules for the demo city. */
export const DEFAULT_RULES_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../config/rules.yaml');

function readIncidentsConfig(env: EnvReader): IncidentsConfig {
  const timeZone = env.str('CITY_TIMEZONE', 'America/Chicago');
  env.require(isTimeZone(timeZone), `CITY_TIMEZONE: expected an IANA time zone like Europe/Lisbon (got ${JSON.stringify(timeZone)})`);
  return {
    rulesEngine: env.bool('RULES_ENGINE', true),
    rulesFile: env.str('RULES_FILE', DEFAULT_RULES_FILE),
    timeZone,
    fusionRadiusM: env.int('FUSION_RADIUS_M', 500, { min: 1, max: 50_000 }),
    fusionWindowMs: env.int('FUSION_WINDOW_MS', 30 * 60_000, { min: 1000, max: 7 * 86_400_000 }),
    tickMs: env.int('RULES_TICK_MS', 5000, { min: 100, max: 600_000 }),
  };
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function readTrustProxy(env: EnvReader): { trustProxy?: number | string[] } {
  const raw = env.optionalStr('TRUST_PROXY')?.trim();
  if (raw === undefined || raw === '') return {};
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    env.require(hops >= 1 && hops <= 10, `TRUST_PROXY: expected 1..10 proxy hops or a list of addresses (got ${raw})`);
    return { trustProxy: hops };
  }
  const entries = raw.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => !PROXY_NAMES.includes(e) && !isAddressOrCidr(e));
  env.require(bad.length === 0, `TRUST_PROXY: expected a hop count or addresses, CIDRs, ${PROXY_NAMES.join(', ')} (not ${bad.map((b) => JSON.stringify(b)).join(', ')})`);
  return { trustProxy: entries };
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const snapshotsDir = (config: DashboardConfig) => join(config.dataDir, 'snapshots');
