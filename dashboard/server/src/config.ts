import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvReader } from '@city/shared';

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
  /** socket.io clients get at most one `deltas` message per this many ms */
  pushIntervalMs: number;
  /** how often device states are re-evaluated (silence -> offline) and the registry re-read, ms */
  stateRefreshMs: number;
  /** maplibre style the web app loads; our offline basemap by default */
  mapStyleUrl: string;
  /** the built web app; served at / when the folder exists, else the status page is */
  webDir: string;
}

export function readDashboardConfig(env: EnvReader): DashboardConfig {
  const password = env.optionalStr('DASHBOARD_MQTT_PASSWORD');
  const url = env.optionalUrl('MQTT_URL', ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']);
  return {
    httpPort: env.port('HTTP_PORT', 8080),
    httpHost: env.str('HTTP_HOST', '0.0.0.0'),
    dataDir: env.str('DATA_DIR', './data'),
    mqtt: {
      url: url?.toString() ?? 'mqtt://localhost:1883',
      username: env.str('DASHBOARD_MQTT_USERNAME', 'dashboard'),
      ...(password !== undefined ? { password } : {}),
    },
    pushIntervalMs: env.int('DASHBOARD_PUSH_INTERVAL_MS', 250, { min: 10, max: 60_000 }),
    stateRefreshMs: env.int('DASHBOARD_STATE_REFRESH_MS', 5000, { min: 100, max: 600_000 }),
    mapStyleUrl: env.str('MAP_STYLE_URL', '/map/style.json'),
    webDir: env.str('DASHBOARD_WEB_DIR', DEFAULT_WEB_DIR),
  };
}

export const snapshotsDir = (config: DashboardConfig) => join(config.dataDir, 'snapshots');
