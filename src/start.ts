// `npm start`: the whole system in one process on its embedded default — broker, ingest, dashboard and
// a demo fleet of simulated devices — storing under DATA_DIR (./data). Set INFLUX_URL and the same
// process writes time series to InfluxDB instead.
import { randomBytes } from 'node:crypto';
import { assertValidOrExit, DeviceRegistry, EnvReader, createLogger, createStore, setLogLevel, LOG_LEVELS } from '@city/shared';
import { createBroker } from '@city/broker/app';
import { readBrokerConfig } from '@city/broker/config';
import { createIngest } from '@city/ingest/app';
import { readIngestConfig } from '@city/ingest/config';
import { createDashboard } from '@city/dashboard-server/app';
import { readDashboardConfig } from '@city/dashboard-server/config';
import { createReportSubmitter } from '@city/simulators';
import { readDemoConfig, startDemoFleet } from './demo-fleet.ts';
import { ensureServiceAccount } from './service-accounts.ts';

const logger = createLogger('city');
const env = new EnvReader();
setLogLevel(env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'));
const dataDir = env.str('DATA_DIR', './data');
const brokerConfig = readBrokerConfig(env);
const ingestConfig = readIngestConfig(env);
const dashboardConfig = readDashboardConfig(env);
const demoConfig = readDemoConfig(env);
const demoReports = readDemoReports(env);
assertValidOrExit(env);

/** Simulated citizens of the demo: reports through the dashboard's own Open311 API. */
function readDemoReports(reader: EnvReader): { perMin: number; nearIncidents: number } {
  const perMin = reader.int('DEMO_REPORTS_PER_MIN', 2, { min: 0, max: 600 });
  const raw = reader.optionalStr('DEMO_REPORTS_NEAR_INCIDENTS');
  const nearIncidents = raw === undefined ? 0.3 : Number(raw);
  reader.require(raw === undefined || (raw.trim() !== '' && nearIncidents >= 0 && nearIncidents <= 1), `DEMO_REPORTS_NEAR_INCIDENTS: expected a share in 0..1 (got ${JSON.stringify(raw)})`);
  return { perMin, nearIncidents };
}
const withDemoReports = demoConfig.enabled && demoReports.perMin > 0;
// the demo's citizens get their own api key, made fresh at every start (never printed), and their
// share of the per-address submission limit on top of it: they post from 127.0.0.1 like a local browser
const demoApiKey = withDemoReports ? `demo-${randomBytes(16).toString('hex')}` : undefined;

const registry = DeviceRegistry.open(dataDir);
const stack: { name: string; stop: () => Promise<void> | void }[] = [{ name: 'registry', stop: () => registry.close() }];

async function stopAll() {
  for (const part of stack.reverse()) {
    try {
      await part.stop();
    } catch (err) {
      logger.error(`stopping ${part.name} failed`, { err });
    }
  }
}

try {
  const broker = await createBroker({ config: brokerConfig, registry, logger: logger.child('broker') });
  await broker.start();
  stack.push({ name: 'broker', stop: () => broker.stop() });
  const mqttUrl = `mqtt://127.0.0.1:${broker.ports.tcp}`;

  // In one process the service accounts (ingest, dashboard) get a fresh secret at every start: nothing to configure.
  const ingestAccount = await ensureServiceAccount(registry, ingestConfig.mqtt.username);
  const store = createStore(ingestConfig.store, logger.child('store'));
  await store.start();
  stack.push({ name: 'store', stop: () => store.stop() });
  const ingest = createIngest({
    config: { ...ingestConfig, mqtt: { ...ingestConfig.mqtt, url: mqttUrl, password: ingestAccount.secret } },
    registry,
    store,
    logger: logger.child('ingest'),
  });
  await ingest.start();
  stack.push({ name: 'ingest', stop: () => ingest.stop() });

  const dashboardAccount = await ensureServiceAccount(registry, dashboardConfig.mqtt.username);
  const dashboard = createDashboard({
    config: {
      ...dashboardConfig,
      mqtt: { url: mqttUrl, username: dashboardAccount.id, password: dashboardAccount.secret },
      ...(demoApiKey
        ? {
            reports: {
              ...dashboardConfig.reports,
              apiKeys: [...dashboardConfig.reports.apiKeys, demoApiKey],
              postRatePerMin: dashboardConfig.reports.postRatePerMin + Math.max(10, 3 * demoReports.perMin),
            },
          }
        : {}),
    },
    registry,
    store,
    logger: logger.child('dashboard'),
    metricsSources: [() => broker.metricsText(), () => ingest.metricsText()],
    describe: () => ({
      'MQTT (TCP)': `mqtt://localhost:${broker.ports.tcp}`,
      ...(broker.ports.ws ? { 'MQTT (WebSocket)': `ws://localhost:${broker.ports.ws}` } : {}),
      'time-series store': store.name,
      'data directory': dataDir,
    }),
  });
  await dashboard.start();
  stack.push({ name: 'dashboard', stop: () => dashboard.stop() });

  if (demoConfig.enabled) {
    const fleet = await startDemoFleet({ config: demoConfig, registry, mqttUrl, logger: logger.child('demo') });
    stack.push({ name: 'demo fleet', stop: () => fleet.stop() });
  }
  if (demoApiKey) {
    const host = ['0.0.0.0', '::'].includes(dashboardConfig.httpHost) ? '127.0.0.1' : dashboardConfig.httpHost;
    const citizens = createReportSubmitter({
      open311Url: `http://${host.includes(':') ? `[${host}]` : host}:${dashboard.port}/open311/v2`,
      apiKey: demoApiKey,
      reportsPerMin: demoReports.perMin,
      nearHotspotRatio: demoReports.nearIncidents,
      // in this process the active incidents themselves are at hand (over HTTP they need a session)
      hotspots: async () =>
        (await dashboard.ops.incidents.listActive()).flatMap((i) => (i.position ? [{ position: i.position, category: i.category }] : [])),
      seed: demoConfig.seed,
      logger: logger.child('demo-reports'),
    });
    citizens.start();
    stack.push({ name: 'demo reports', stop: () => citizens.stop() });
  }

  const lines = [
    '',
    '  City operations control centre is running',
    `  dashboard          http://localhost:${dashboard.port}/`,
    `  citizens' form     http://localhost:${dashboard.port}/report   (Open311: http://localhost:${dashboard.port}/open311/v2/services.json)`,
    `  MQTT (TCP)         mqtt://localhost:${broker.ports.tcp}`,
    broker.ports.ws ? `  MQTT (WebSocket)   ws://localhost:${broker.ports.ws}` : '',
    broker.ports.tls ? `  MQTT (TLS)         mqtts://localhost:${broker.ports.tls}` : '',
    `  health / metrics   http://localhost:${dashboard.port}/healthz  http://localhost:${dashboard.port}/metrics`,
    `  time series        ${store.name}${store.name === 'sqlite' ? ` in ${dataDir}/timeseries.sqlite` : ''}`,
    `  demo fleet         ${demoConfig.enabled ? `${demoConfig.sensors} sensors, ${demoConfig.cameras} cameras, ${demoConfig.ttsDevices} LoRaWAN devices` : 'off (DEMO_FLEET=false)'}`,
    `  citizen reports    ${withDemoReports ? `${demoReports.perMin} a minute from simulated citizens through Open311 (DEMO_REPORTS_PER_MIN)` : 'from the form at /report and Open311 clients'}`,
    `  incidents          ${dashboardConfig.incidents.rulesEngine ? `rules engine on (${dashboard.rules?.rules.rules.length ?? 0} rules)` : 'rules engine off (RULES_ENGINE=false)'}; operators log in on the dashboard`,
    '  operator accounts  npm run ops -- users add <name> --role operator   (first start: admin password in the log above)',
    '  add a device       npm run devices -- add <id> --kind <kind> --lat <lat> --lon <lon>',
    '  stop               Ctrl-C',
    '',
  ];
  process.stdout.write(lines.filter((l) => l !== '').join('\n') + '\n\n');
} catch (err) {
  logger.error('start-up failed', { err });
  await stopAll();
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping`);
    await stopAll();
    process.exit(0);
  });
}
