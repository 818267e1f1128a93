// Standalone ingest worker: config -> registry -> store -> ingest -> start, plus /metrics and /healthz
// on INGEST_HTTP_PORT. SIGINT/SIGTERM stop it (draining the journal for up to INGEST_STOP_DRAIN_MS).
import { assertValidOrExit, DeviceRegistry, HttpServer, EnvReader, LOG_LEVELS, createLogger, setLogLevel } from '@city/shared';
import { StoreError, createStore } from '@city/shared/timeseries/index';
import { createIngest } from './app.ts';
import { readIngestConfig } from './config.ts';
import { backoffDelayMs } from './core/backoff.ts';

const logger = createLogger('ingest');
const env = new EnvReader();
setLogLevel(env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'));
const config = readIngestConfig(env);
assertValidOrExit(env);

const registry = DeviceRegistry.open(config.dataDir);
const store = createStore(config.store, logger.child('store'));
const ingest = createIngest({ config, registry, store, logger });
const http = new HttpServer({
  metricsText: () => ingest.metricsText(),
  health: () => {
    const s = ingest.stats();
    return {
      ok: s.mqttConnected,
      mqttConnected: s.mqttConnected,
      storeHealthy: s.storeHealthy,
      store: store.name,
      journalPendingRecords: s.journalPendingRecords,
    };
  },
});

let stopping = false;

async function retryStoreStart(): Promise<void> {
  for (let attempt = 1; !stopping; attempt++) {
    await new Promise((r) => setTimeout(r, backoffDelayMs(attempt, 500, config.retryMaxMs)));
    try {
      await store.start();
      logger.info('time-series store reachable', { attempts: attempt + 1 });
      return;
    } catch (err) {
      if (!(err instanceof StoreError && err.retriable)) {
        logger.error('time-series store cannot be used', { err });
        return void stopAll(1);
      }
    }
  }
}
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const [name, stop] of [
      ['ingest', () => ingest.stop()],
      ['http', () => http.stop()],
      ['store', () => store.stop()],
      ['registry', () => registry.close()],
    ] as const) {
      try {
        await stop();
      } catch (err) {
        logger.error(`stopping ${name} failed`, { err });
      }
    }
  }
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    logger.info(`${signal}: stopping`);
    void stopAll(0);
  });
}

try {
  const port = await http.start(config.httpPort);
  logger.info('metrics and health', { url: `http://localhost:${port}/metrics`, health: `http://localhost:${port}/healthz` });
  // the store may be down at start: the journal holds readings until it is back, so only a store that
  // cannot be used at all (bad configuration) stops start-up; an unreachable one is retried meanwhile
  try {
    await store.start();
  } catch (err) {
    if (!(err instanceof StoreError && err.retriable)) throw err;
    logger.warn('time-series store not reachable yet: accepting into the journal and retrying', { error: err.message });
    void retryStoreStart();
  }
  await ingest.start();
} catch (err) {
  logger.error('start-up failed', { err });
  await stopAll(1);
}
