// A real aedes broker on a free port for simulator tests, optionally checking credentials against
// a DeviceRegistry with the same rules as the project's broker (username = device id, devices
// publish under their own id, gateways under their granted prefixes), and a real MQTT.js
// subscriber that records what arrives.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import mqtt from 'mqtt';
import type { Device, DeviceRegistry } from '@city/shared';
import { track } from '../../../test/support/teardown.ts';

export interface Received {
  topic: string;
  payload: Buffer;
}

export interface TestBroker {
  url: string;
  received: Received[];
  /** publishes the broker refused */
  denied: string[];
  /** connections refused */
  refused: string[];
  /** client ids connected right now */
  connected(): number;
  /** waits until `count` messages arrived or the deadline passes */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

export async function startTestBroker(options: { registry?: DeviceRegistry } = {}): Promise<TestBroker> {
  const identities = new WeakMap<Client, Device>();
  const denied: string[] = [];
  const refused: string[] = [];
  const registry = options.registry;
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (!registry) return done(null, true);
      // the test's own subscriber connects without credentials
      if (username === undefined) return done(null, client.id.startsWith('test-subscriber'));
      registry.verify(username, password?.toString('utf8') ?? '').then(
        (device) => {
          if (device) {
            identities.set(client, device);
            return done(null, true);
          }
          refused.push(username);
          const err = Object.assign(new Error('bad user name or password'), { returnCode: 4 as const });
          done(err, false);
        },
        (err: Error) => done(Object.assign(err, { returnCode: 3 as const }), false),
      );
    },
    authorizePublish: (client, packet, done) => {
      const who = client ? identities.get(client) : undefined;
      if (!registry || !who) return done(null);
      const topic = packet.topic;
      const own = who.role === 'device' && (topic.startsWith(`city/sensors/${who.id}/`) || topic.startsWith(`city/cameras/${who.id}/`));
      if (own || who.topicPrefixes.some((p) => topic.startsWith(p))) return done(null);
      denied.push(`${who.id} -> ${topic}`);
      done(new Error(`${who.id} may not publish to ${topic}`));
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  track(server, (s) => new Promise<void>((resolve) => {
    broker.close(() => s.close(() => resolve()));
  }));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const received: Received[] = [];
  const subscriber = track(mqtt.connect(url, { clientId: `test-subscriber-${process.pid}`, protocolVersion: 4 }), (c) => c.endAsync(true));
  await new Promise<void>((resolve, reject) => {
    subscriber.once('connect', () => resolve());
    subscriber.once('error', reject);
  });
  subscriber.on('message', (topic, payload) => received.push({ topic, payload }));
  await subscriber.subscribeAsync('#', { qos: 1 });

  return {
    url,
    received,
    denied,
    refused,
    connected: () => broker.connectedClients,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
