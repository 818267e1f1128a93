// The fleet against a real aedes broker on a free port, with a real MQTT.js subscriber.
import { describe, expect, it } from 'vitest';
import { DeviceRegistry, parseTopic } from '@city/shared';
import { createLogger } from '@city/shared';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';
import { createFleet, type FleetContext } from '../src/app.ts';
import { startTestBroker } from './support/broker.ts';

const logger = createLogger('test:simulators');
logger.info = () => {}; // keep the test output to failures

function openRegistry(): DeviceRegistry {
  return track(DeviceRegistry.open(tmpDir()), (r) => r.close());
}

function fleetOf(ctx: FleetContext) {
  const fleet = createFleet(ctx);
  return track(fleet, (f) => f.stop());
}

/** The device a received message is from, by the shared topic parser (and the Frigate payload). */
function deviceOf(topic: string, payload: Buffer): string {
  const t = parseTopic(topic);
  switch (t.type) {
    case 'sensor-up':
      return t.deviceId;
    case 'camera-events':
    case 'camera-snapshot':
      return t.cameraId;
    case 'frigate-snapshot':
      return t.camera;
    case 'frigate-events':
      return (JSON.parse(payload.toString()) as { after: { camera: string } }).after.camera;
    case 'tts-uplink':
      expect(`${t.app}@${t.tenant}`).toBe('city-sensors@ttn');
      return t.device;
    default:
      throw new Error(`unexpected topic ${topic}`);
  }
}

describe('fleet over MQTT', () => {
  const demo = { seed: 2, sensors: 24, cameras: 4, ttsDevices: 4 };

  it('per-device mode: provisioned devices log in with their own secrets; exactly N messages arrive on the right topics', async () => {
    const registry = openRegistry();
    const broker = await startTestBroker({ registry });
    const fleet = fleetOf({ mqttUrl: broker.url, registry, plan: demo, ratePerS: 400, maxMessages: 300, qos: 1, mode: 'per-device', logger });
    await fleet.start();
    // 24 sensors + 2 native cameras with their own login, the Frigate NVR, the TTS bridge, the subscriber
    expect(broker.connected()).toBe(24 + 2 + 1 + 1 + 1);
    const final = await fleet.done;
    await broker.waitFor(300);
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come
    expect(final).toMatchObject({ sent: 300, failed: 0, malformed: 0, running: false });
    expect(broker.received).toHaveLength(300);
    expect(broker.denied).toEqual([]);
    const types = new Set(broker.received.map((m) => parseTopic(m.topic).type));
    expect(types).toEqual(new Set(['sensor-up', 'camera-events', 'camera-snapshot', 'frigate-events', 'frigate-snapshot', 'tts-uplink']));
    // every planned device was heard, and nothing else: 300 messages over 32 devices
    const devices = new Set(broker.received.map((m) => deviceOf(m.topic, m.payload)));
    expect(devices).toEqual(new Set(fleet.plan.devices.map((d) => d.id)));
    // all connections closed by the time the fleet is done
    expect(broker.connected()).toBe(1);
    // the registry lists every device with its position
    expect(registry.list().filter((d) => d.role === 'device')).toHaveLength(32);
  });

  it('per-device mode: provisioning twice rotates to known secrets and still logs in', async () => {
    const registry = openRegistry();
    const broker = await startTestBroker({ registry });
    for (let run = 0; run < 2; run++) {
      const fleet = fleetOf({ mqttUrl: broker.url, registry, plan: { seed: 4, sensors: 3, cameras: 1, ttsDevices: 1 }, ratePerS: 200, maxMessages: 20, logger });
      await fleet.start();
      expect((await fleet.done).sent).toBe(20);
    }
    await broker.waitFor(40);
    expect(broker.received).toHaveLength(40);
    expect(broker.refused).toEqual([]);
  });

  it.each([0, 1] as const)('gateway mode at QoS %s: a few connections carry the whole fleet, exact count', async (qos) => {
    const registry = openRegistry();
    const broker = await startTestBroker({ registry });
    const plan = { seed: 9, sensors: 1500, cameras: 20, ttsDevices: 200 };
    const fleet = fleetOf({ mqttUrl: broker.url, registry, plan, ratePerS: Infinity, maxMessages: 5000, qos, mode: 'gateway', connections: 3, logger });
    await fleet.start();
    expect(broker.connected()).toBe(3 + 1);
    const final = await fleet.done;
    await broker.waitFor(5000);
    await new Promise((r) => setTimeout(r, 200));
    expect(final.sent).toBe(5000);
    expect(final.failed).toBe(0);
    expect(broker.received).toHaveLength(5000);
    expect(broker.denied).toEqual([]);
    expect(final.byType['tts-uplink']).toBeGreaterThan(0);
    // 5000 messages over 1720 devices: the round robin reaches every one
    const sensorsHeard = new Set(broker.received.filter((m) => m.topic.startsWith('city/sensors/')).map((m) => m.topic));
    expect(sensorsHeard.size).toBe(1500);
    // devices behind the gateway are listed (with positions) so ingest knows them
    expect(registry.list().filter((d) => d.position)).toHaveLength(1720);
  });

  it('holds the requested rate instead of buffering', async () => {
    const broker = await startTestBroker();
    const fleet = fleetOf({ mqttUrl: broker.url, plan: { seed: 1, sensors: 50, cameras: 0, ttsDevices: 0 }, ratePerS: 500, durationS: 1.5, mode: 'gateway', logger });
    await fleet.start();
    const final = await fleet.done;
    expect(final.sent).toBeGreaterThanOrEqual(650);
    expect(final.sent).toBeLessThanOrEqual(760);
    expect(final.elapsedS).toBeGreaterThanOrEqual(1.5);
  });

  it('sends the requested share of malformed messages, labelled, and silences devices', async () => {
    const broker = await startTestBroker();
    const plan = { seed: 3, sensors: 20, cameras: 0, ttsDevices: 0 };
    const fleet = fleetOf({
      mqttUrl: broker.url,
      plan,
      ratePerS: 2000,
      maxMessages: 400,
      mode: 'gateway',
      faults: { badRatio: 0.1, silentDevices: 5, silentAfterS: 0 },
      logger,
    });
    await fleet.start();
    const final = await fleet.done;
    expect(final.sent).toBe(400);
    expect(final.malformed).toBe(40);
    expect(Object.values(final.malformedByKind)).toEqual([10, 10, 10, 10]);
    expect(final.silentDevices).toBe(5);
    await broker.waitFor(400);
    expect(new Set(broker.received.map((m) => m.topic)).size).toBe(15);
  });

  it('stop() mid-run ends publishing and closes every connection', async () => {
    const registry = openRegistry();
    const broker = await startTestBroker({ registry });
    const progress: number[] = [];
    const fleet = fleetOf({ mqttUrl: broker.url, registry, plan: { seed: 1, sensors: 8, cameras: 1, ttsDevices: 1 }, ratePerS: 100, logger, progressIntervalMs: 100, onProgress: (s) => progress.push(s.sent) });
    await fleet.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(fleet.stats().running).toBe(true);
    await fleet.stop();
    const final = fleet.stats();
    expect(final.running).toBe(false);
    expect(final.sent).toBeGreaterThan(30);
    expect(final.inFlight).toBe(0);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(broker.connected()).toBe(1);
    expect(broker.received.length).toBe(final.sent);
    await fleet.stop(); // idempotent
    expect((await fleet.done).sent).toBe(final.sent);
  });

  it('start() rejects clearly when the broker refuses the credentials', async () => {
    const registry = openRegistry();
    const broker = await startTestBroker({ registry });
    const otherRegistry = openRegistry(); // provisioned somewhere the broker does not read
    const fleet = fleetOf({ mqttUrl: broker.url, registry: otherRegistry, plan: { seed: 1, sensors: 2, cameras: 0, ttsDevices: 0 }, logger });
    await expect(fleet.start()).rejects.toThrow(/refused the connection.*provisioned/);
    await new Promise((r) => setTimeout(r, 100));
    expect(broker.connected()).toBe(1);
  });

  it('start() rejects clearly when no broker listens', async () => {
    const broker = await startTestBroker();
    const url = broker.url.replace(/:(\d+)$/, ':1'); // nothing listens on port 1
    const fleet = fleetOf({ mqttUrl: url, plan: { seed: 1, sensors: 1, cameras: 0, ttsDevices: 0 }, logger });
    await expect(fleet.start()).rejects.toThrow(/ECONNREFUSED|refused/);
  });
});
