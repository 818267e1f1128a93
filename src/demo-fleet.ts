// The demo fleet `npm start` runs: a few dozen simulated devices in the demo city, each logging in
// with its own provisioned credentials, at a gentle rate.
import type { DeviceRegistry, EnvReader, Logger } from '@city/shared';
import { createFleet, DEFAULT_DEVICE_INTERVAL_S } from '@city/simulators';

export interface DemoConfig {
  enabled: boolean;
  sensors: number;
  cameras: number;
  ttsDevices: number;
  /** each device publishes once per this many seconds */
  intervalS: number;
  seed: number;
}

export function readDemoConfig(env: EnvReader): DemoConfig {
  return {
    enabled: env.bool('DEMO_FLEET', true),
    sensors: env.int('DEMO_SENSORS', 40, { min: 0, max: 5000 }),
    cameras: env.int('DEMO_CAMERAS', 4, { min: 0, max: 500 }),
    ttsDevices: env.int('DEMO_TTS_DEVICES', 4, { min: 0, max: 500 }),
    intervalS: env.int('DEMO_INTERVAL_S', DEFAULT_DEVICE_INTERVAL_S, { min: 1, max: 3600 }),
    seed: env.int('DEMO_SEED', 1),
  };
}

export async function startDemoFleet(ctx: {
  config: DemoConfig;
  registry: DeviceRegistry;
  mqttUrl: string;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { config } = ctx;
  const devices = config.sensors + config.cameras + config.ttsDevices;
  const fleet = createFleet({
    mqttUrl: ctx.mqttUrl,
    registry: ctx.registry,
    plan: { seed: config.seed, sensors: config.sensors, cameras: config.cameras, ttsDevices: config.ttsDevices },
    ratePerS: devices / config.intervalS,
    mode: 'per-device',
    logger: ctx.logger,
  });
  await fleet.start();
  ctx.logger.info('demo fleet publishing', { devices, intervalS: config.intervalS });
  return { stop: () => fleet.stop() };
}
