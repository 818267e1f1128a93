// Standalone dashboard server: config -> registry, store -> dashboard -> start; SIGINT/SIGTERM -> stop.
import { assertValidOrExit, DeviceRegistry, EnvReader, createLogger, createStore, readStoreConfig, setLogLevel, LOG_LEVELS } from '@city/shared';
import { createDashboard } from './app.ts';
import { readDashboardConfig } from './config.ts';

const logger = createLogger('dashboard');
const env = new EnvReader();
setLogLevel(env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'));
const config = readDashboardConfig(env);
const storeConfig = readStoreConfig(env, config.dataDir);
assertValidOrExit(env);
const registry = DeviceRegistry.open(config.dataDir);
const store = createStore(storeConfig, logger.child('store'));
await store.start();
const dashboard = createDashboard({ config, registry, store, logger, describe: () => ({ 'time-series store': store.name, 'MQTT': config.mqtt.url }) });
await dashboard.start();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await dashboard.stop();
    await store.stop();
    registry.close();
    process.exit(0);
  });
}
