// Standalone dashboard server: config -> registry -> dashboard -> start; SIGINT/SIGTERM -> stop.
import { assertValidOrExit, DeviceRegistry, EnvReader, createLogger } from '@city/shared';
import { createDashboard } from './app.ts';
import { readDashboardConfig } from './config.ts';

const logger = createLogger('dashboard');
const env = new EnvReader();
const config = readDashboardConfig(env);
const dataDir = env.str('DATA_DIR', './data');
assertValidOrExit(env);
const registry = DeviceRegistry.open(dataDir);
const dashboard = createDashboard({ config, registry, logger });
await dashboard.start();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await dashboard.stop();
    registry.close();
    process.exit(0);
  });
}
