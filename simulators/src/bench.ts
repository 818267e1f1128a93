// Publish-rate benchmark: the fleet in gateway mode, as fast as the broker takes it, against an
// in-process aedes broker on a free port with one subscriber on '#' (standing in for ingest).
// Usage: npx tsx simulators/src/bench.ts [seconds=10] [sensors=5000] [connections=4]
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { createLogger } from '@city/shared';
import { createFleet } from './app.ts';

async function measure(qos: 0 | 1, seconds: number, sensors: number, connections: number, subscribe: boolean) {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let received = 0;
  const sub = subscribe ? mqtt.connect(url, { clientId: 'bench-sub', protocolVersion: 4 }) : undefined;
  if (sub) {
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    (sub.stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
    sub.on('message', () => (received += 1));
    await sub.subscribeAsync('#', { qos });
  }
  const logger = createLogger('bench');
  logger.info = () => {};
  const fleet = createFleet({
    mqttUrl: url,
    plan: { seed: 1, sensors, cameras: 0, ttsDevices: 0 },
    ratePerS: Infinity,
    durationS: seconds,
    qos,
    mode: 'gateway',
    connections,
    logger,
  });
  await fleet.start();
  const stats = await fleet.done;
  const settle = Date.now() + 3000;
  while (sub && received < stats.sent && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
  await sub?.endAsync(true);
  await new Promise<void>((resolve) => broker.close(() => server.close(() => resolve())));
  return { qos, subscriber: subscribe, sent: stats.sent, failed: stats.failed, ratePerS: Math.round(stats.ratePerS), received };
}

const [seconds = 10, sensors = 5000, connections = 4] = process.argv.slice(2).map(Number);
for (const subscribe of [false, true]) {
  for (const qos of [0, 1] as const) {
    console.log(JSON.stringify(await measure(qos, seconds, sensors, connections, subscribe)));
  }
}
