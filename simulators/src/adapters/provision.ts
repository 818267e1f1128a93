// Provisioning: puts the planned fleet into the device registry and returns the credentials the
// simulated devices log in with. Secrets are only known at creation, so existing simulated
// accounts get a fresh one (rotate); their hashes are what the broker checks.
import type { Device, DeviceRegistry, DeviceRole, Position, SensorKind } from '@city/shared';
import { ownLogin, type FleetPlan, type PlannedDevice } from '../core/fleet-plan.ts';

export interface Credentials {
  username: string;
  password: string;
}

export type ConnectionMode = 'per-device' | 'gateway';
export const CONNECTION_MODES: readonly ConnectionMode[] = ['per-device', 'gateway'];

/** The accounts the simulators log in with besides the devices themselves. */
export const SIM_ACCOUNTS = {
  /** gateway mode: thousands of devices over a few connections */
  gateway: { id: 'sim-gateway', topicPrefixes: ['city/sensors/', 'city/cameras/', 'frigate/', 'v3/'] },
  /** per-device mode: the Frigate NVR the Frigate cameras publish through */
  frigateNvr: { id: 'sim-frigate-nvr', topicPrefixes: ['frigate/'] },
  /** per-device mode: The Things Stack's MQTT integration bridged in */
  ttsBridge: { id: 'sim-tts-bridge', topicPrefixes: ['v3/'] },
} as const;

export interface FleetCredentials {
  /** per-device mode: each device with its own login (native, SenML and native-camera devices) */
  devices: Map<string, Credentials>;
  /** gateway mode */
  gateway?: Credentials;
  /** per-device mode, when the plan has Frigate cameras */
  frigateNvr?: Credentials;
  /** per-device mode, when the plan has TTS devices */
  ttsBridge?: Credentials;
}

export interface ProvisionOptions {
  mode: ConnectionMode;
  /** scrypt runs at once (libuv's pool has 4 threads); default 4 */
  concurrency?: number;
}

interface Account {
  id: string;
  kind: SensorKind;
  role: DeviceRole;
  position?: Position;
  topicPrefixes?: readonly string[];
}

const samePrefixes = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((p, i) => p === b[i]);
const samePosition = (a?: Position, b?: Position) => a?.lat === b?.lat && a?.lon === b?.lon;

/** An account with a secret we know: added, or re-added when it changed, or rotated. */
async function ensureAccount(registry: DeviceRegistry, account: Account): Promise<Credentials> {
  const existing: Device | undefined = registry.get(account.id);
  const prefixes = [...(account.topicPrefixes ?? [])];
  if (existing?.hasSecret) {
    const unchanged =
      existing.kind === account.kind &&
      existing.role === account.role &&
      samePrefixes(existing.topicPrefixes, prefixes) &&
      samePosition(existing.position, account.position);
    if (unchanged) return { username: account.id, password: await registry.rotate(account.id) };
    registry.remove(account.id);
  }
  const input = { id: account.id, kind: account.kind, role: account.role, topicPrefixes: prefixes, ...(account.position ? { position: account.position } : {}) };
  const { secret } = await registry.add(input);
  return { username: account.id, password: secret };
}

/** Runs fn over items with at most `limit` at once. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Registers the fleet. per-device: each own-login device gets a secret (scrypt, ~50 ms each), the
 * devices behind the NVR and TTS are listed without one (as ingest would on first sight, but with
 * their positions), plus the NVR and TTS bridge accounts. gateway: every device is listed without
 * a secret and one gateway account gets the publish prefixes.
 */
export async function provisionFleet(registry: DeviceRegistry, plan: FleetPlan, options: ProvisionOptions): Promise<FleetCredentials> {
  const credentials: FleetCredentials = { devices: new Map() };
  const listOnly = (d: PlannedDevice) => {
    const existing = registry.get(d.id);
    if (existing && existing.kind === d.kind && samePosition(existing.position, d.position)) return;
    if (existing && !existing.hasSecret) registry.remove(d.id); // moved or changed kind: list it afresh
    registry.registerSeen(d.id, d.kind, d.position);
  };

  if (options.mode === 'gateway') {
    for (const d of plan.devices) listOnly(d);
    credentials.gateway = await ensureAccount(registry, { id: SIM_ACCOUNTS.gateway.id, kind: 'generic', role: 'gateway', topicPrefixes: SIM_ACCOUNTS.gateway.topicPrefixes });
    return credentials;
  }

  const own = plan.devices.filter(ownLogin);
  await eachLimited(own, options.concurrency ?? 4, async (d) => {
    credentials.devices.set(d.id, await ensureAccount(registry, { id: d.id, kind: d.kind, role: 'device', position: d.position }));
  });
  for (const d of plan.devices) if (!ownLogin(d)) listOnly(d);
  if (plan.devices.some((d) => d.transport === 'frigate')) {
    credentials.frigateNvr = await ensureAccount(registry, { id: SIM_ACCOUNTS.frigateNvr.id, kind: 'generic', role: 'gateway', topicPrefixes: SIM_ACCOUNTS.frigateNvr.topicPrefixes });
  }
  if (plan.devices.some((d) => d.transport === 'tts')) {
    credentials.ttsBridge = await ensureAccount(registry, { id: SIM_ACCOUNTS.ttsBridge.id, kind: 'generic', role: 'gateway', topicPrefixes: SIM_ACCOUNTS.ttsBridge.topicPrefixes });
  }
  return credentials;
}
