import { expect, it } from 'vitest';
import { DeviceRegistry, RegistryError } from '@city/shared';
import { track } from '../../test/support/teardown.ts';
import { tmpDir } from '../../test/support/tmp.ts';

const open = () => track(DeviceRegistry.open(tmpDir()), (r) => r.close());

it('adds a device with a generated secret that verifies, and places it in its district', async () => {
  const registry = open();
  const { device, secret } = await registry.add({ id: 'aq-loop-1', kind: 'air_quality', position: { lat: 41.88, lon: -87.63 } });
  expect(device).toMatchObject({ id: 'aq-loop-1', kind: 'air_quality', role: 'device', district: 'loop', hasSecret: true, online: false });
  expect(secret.length).toBeGreaterThanOrEqual(24);
  expect((await registry.verify('aq-loop-1', secret))?.id).toBe('aq-loop-1');
  expect(await registry.verify('aq-loop-1', 'not-the-secret-at-all')).toBeUndefined();
  expect(await registry.verify('nobody', secret)).toBeUndefined();
});

it('refuses bad ids, short secrets and a second add of the same id', async () => {
  const registry = open();
  await expect(registry.add({ id: 'Bad Id', kind: 'noise' })).rejects.toThrow(RegistryError);
  await expect(registry.add({ id: 'n-1', kind: 'noise', secret: 'short' })).rejects.toThrow(/at least 12/);
  await registry.add({ id: 'n-1', kind: 'noise' });
  await expect(registry.add({ id: 'n-1', kind: 'noise' })).rejects.toThrow(/already exists/);
});

it('rotates and removes', async () => {
  const registry = open();
  const { secret } = await registry.add({ id: 'w-1', kind: 'water_level' });
  const next = await registry.rotate('w-1', 'a-provisioned-secret');
  expect(next).toBe('a-provisioned-secret');
  expect(await registry.verify('w-1', secret)).toBeUndefined();
  expect(await registry.verify('w-1', next)).toBeDefined();
  expect(registry.remove('w-1')).toBe(true);
  expect(registry.get('w-1')).toBeUndefined();
  await expect(registry.rotate('w-1')).rejects.toThrow(/not found/);
});

it('registers a device seen behind a gateway without a secret, and leaves a listed device as it is', async () => {
  const registry = open();
  const seen = registry.registerSeen('tts-1', 'water_level', { lat: 41.835, lon: -87.65 });
  expect(seen).toMatchObject({ id: 'tts-1', hasSecret: false, district: 'bridgeport' });
  await registry.add({ id: 'cam-1', kind: 'camera', position: { lat: 41.88, lon: -87.63 } });
  registry.registerSeen('cam-1', 'generic');
  expect(registry.get('cam-1')).toMatchObject({ kind: 'camera', hasSecret: true, district: 'loop' });
  registry.setOnline('cam-1', true, 1234);
  expect(registry.get('cam-1')).toMatchObject({ online: true, lastSeenAt: 1234 });
  expect(registry.list().map((d) => d.id)).toEqual(['cam-1', 'tts-1']);
});
