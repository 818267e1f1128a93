// The broker process: read config -> open the device registry -> createBroker -> start.
import { assertValidOrExit, createLogger, DeviceRegistry, EnvReader, HttpServer, setLogLevel } from '@city/shared';
import { createBroker } from './app.ts';
import { readBrokerConfig } from './config.ts';

async function main(): Promise<void> {
  const env = new EnvReader();
  const config = readBrokerConfig(env);
  assertValidOrExit(env);
  setLogLevel(config.logLevel);
  const logger = createLogger('broker');
  const registry = DeviceRegistry.open(config.dataDir);
  const broker = await createBroker({ config, registry, logger });
  await broker.start();
  const http = new HttpServer({ metricsText: () => broker.metricsText(), health: () => ({ ok: true, ports: broker.ports }) });
  const httpPort = await http.start(config.httpPort, config.host);
  logger.info('metrics and health', { url: `http://localhost:${httpPort}/metrics` });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    try {
      await http.stop();
      await broker.stop();
    } finally {
      registry.close();
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
