import type { DeviceRegistry } from '@city/shared';

/** Creates a service account, or gives an existing one a fresh secret; returns the secret. */
export async function ensureServiceAccount(registry: DeviceRegistry, id: string): Promise<{ id: string; secret: string }> {
  if (registry.get(id)) return { id, secret: await registry.rotate(id) };
  const { secret } = await registry.add({ id, kind: 'generic', role: 'service' });
  return { id, secret };
}
