import type { EnvReader } from '@city/shared';

export interface DashboardConfig {
  /** HTTP port of the dashboard; 0 = any free port */
  httpPort: number;
  httpHost: string;
}

export function readDashboardConfig(env: EnvReader): DashboardConfig {
  return {
    httpPort: env.port('HTTP_PORT', 8080),
    httpHost: env.str('HTTP_HOST', '0.0.0.0'),
  };
}
