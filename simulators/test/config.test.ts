import { describe, expect, it } from 'vitest';
import { helpText, parseSimulatorArgs } from '../src/config.ts';

describe('simulator options', () => {
  it('has documented defaults, with MQTT_URL and DATA_DIR from the environment', () => {
    const parsed = parseSimulatorArgs([], { MQTT_URL: 'mqtt://broker:1883', DATA_DIR: '/var/city' });
    expect(parsed).toEqual({
      kind: 'config',
      config: expect.objectContaining({
        mqttUrl: 'mqtt://broker:1883',
        dataDir: '/var/city',
        sensors: 200,
        cameras: 10,
        ttsDevices: 10,
        durationS: 0,
        seed: 1,
        qos: 1,
        mode: 'per-device',
        senmlRatio: 0.2,
        badRatio: 0,
        silentDevices: 0,
      }),
    });
    expect(parsed.kind === 'config' && parsed.config.ratePerS).toBeUndefined();
  });

  it('reads every option, options over the environment', () => {
    const parsed = parseSimulatorArgs(
      ['--url', 'mqtt://x:1', '--sensors', '5', '--cameras', '0', '--tts', '1', '--rate', 'max', '--duration', '2.5', '--qos', '0', '--mode', 'gateway', '--bad-ratio', '0.1', '--silent', '2', '--burst', '3x5@1', '--anonymous'],
      { MQTT_URL: 'mqtt://ignored:1' },
    );
    expect(parsed.kind).toBe('config');
    if (parsed.kind !== 'config') return;
    expect(parsed.config).toMatchObject({ mqttUrl: 'mqtt://x:1', sensors: 5, cameras: 0, ttsDevices: 1, ratePerS: Infinity, durationS: 2.5, qos: 0, mode: 'gateway', badRatio: 0.1, silentDevices: 2, burst: { multiplier: 3, durationS: 5, startS: 1 } });
    expect(parsed.config.dataDir).toBeUndefined();
  });

  it('lists every problem at once', () => {
    const parsed = parseSimulatorArgs(['--qos', '2', '--mode', 'mesh', '--rate', '-5', '--bad-ratio', '1.5', '--burst', 'lots', '--sensors', 'many', '--frobnicate', 'stray', '--url', 'http://x'], {});
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind !== 'invalid') return;
    const text = parsed.problems.join('\n');
    for (const name of ['--qos', '--mode', '--rate', '--bad-ratio', '--burst', '--sensors', '--frobnicate', '"stray"', '--url']) expect(text).toContain(name);
    expect(parsed.problems).toHaveLength(9);
  });

  it('refuses an empty fleet and more silent devices than devices', () => {
    const parsed = parseSimulatorArgs(['--sensors', '0', '--cameras', '0', '--tts', '0', '--silent', '3'], {});
    expect(parsed.kind === 'invalid' && parsed.problems).toEqual([
      expect.stringContaining('at least one device'),
      expect.stringContaining('--silent: expected at most the 0 devices'),
    ]);
  });

  it('answers --help with every option', () => {
    expect(parseSimulatorArgs(['--help'], {})).toEqual({ kind: 'help' });
    for (const flag of ['--url', '--data-dir', '--rate', '--duration', '--seed', '--qos', '--mode', '--senml-ratio', '--bad-ratio', '--silent', '--burst']) {
      expect(helpText()).toContain(flag);
    }
  });
});
