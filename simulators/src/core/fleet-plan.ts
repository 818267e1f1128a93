// The fleet plan: which devices exist, where, what they measure and how they speak. Pure and
// seeded: the same options give the same plan, so a demo fleet keeps its ids across restarts.
import { DEMO_CITY, type District, type Position, type SensorKind } from '@city/shared';
import { between, hashSeed, hexBytes, mulberry32, pick, round, shuffled, type Rand } from './prng.ts';
import { profileFor, SIMULATED_KINDS, type Profile, type SimulatedKind } from './patterns.ts';

/**
 * How a device publishes:
 * - native: `{observedAt, metrics}` on city/sensors/{id}/up
 * - senml: an RFC 8428 pack on the same topic
 * - tts: a The Things Stack v3 uplink on v3/{app}@{tenant}/devices/{id}/up (LoRaWAN)
 * - camera: native events on city/cameras/{id}/events and JPEGs on .../snapshot
 * - frigate: Frigate NVR events on frigate/events and JPEGs on frigate/{camera}/{label}/snapshot
 */
export const TRANSPORTS = ['native', 'senml', 'tts', 'camera', 'frigate'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface LorawanIds {
  devEui: string;
  joinEui: string;
  devAddr: string;
  /** the LoRaWAN gateway that hears it */
  gatewayId: string;
  gatewayEui: string;
}

export interface PlannedDevice {
  id: string;
  kind: SensorKind;
  transport: Transport;
  district: string;
  position: Position;
  /** seeds this device's own randomness (rain events, event ids) */
  seed: number;
  /** per-device constants for the patterns (empty for cameras) */
  profile: Profile;
  /** for transport 'tts' */
  lorawan?: LorawanIds;
  /** for cameras: the zones it watches */
  zones?: string[];
}

export interface FleetPlanOptions {
  seed: number;
  /** sensors publishing over their own MQTT login (native JSON or SenML) */
  sensors: number;
  /** cameras, part native, part behind a Frigate NVR */
  cameras: number;
  /** LoRaWAN sensors arriving through The Things Stack */
  ttsDevices: number;
  /** sensor kinds to plan, all by default */
  kinds?: readonly SimulatedKind[];
  /** share of sensors that speak SenML instead of native JSON, 0..1; default 0.2 */
  senmlRatio?: number;
  /** share of cameras behind the Frigate NVR, 0..1; default 0.5 */
  frigateRatio?: number;
  /** The Things Stack application and tenant; default city-sensors@ttn */
  tts?: { app: string; tenant: string };
  /** districts to place devices in; default the demo city's */
  districts?: readonly District[];
}

export interface FleetPlan {
  seed: number;
  devices: PlannedDevice[];
  tts: { app: string; tenant: string };
}

export const DEFAULT_SENML_RATIO = 0.2;
export const DEFAULT_FRIGATE_RATIO = 0.5;
export const DEFAULT_TTS = { app: 'city-sensors', tenant: 'ttn' } as const;

const ID_PREFIX: Record<SimulatedKind | 'camera', string> = {
  air_quality: 'aq',
  noise: 'noise',
  traffic: 'traffic',
  water_level: 'water',
  parking: 'parking',
  street_light: 'light',
  waste_bin: 'bin',
  camera: 'cam',
};

/** Battery-powered kinds that are typically LoRaWAN. */
const LORAWAN_KINDS: readonly SimulatedKind[] = ['water_level', 'parking', 'waste_bin'];

const CAMERA_ZONES = ['crosswalk', 'bus_lane', 'sidewalk', 'intersection', 'bike_lane', 'loading_zone', 'plaza'];

/** Spreads the share `ratio` evenly over indexes: exactly round(n * ratio) of n get true. */
function takes(i: number, ratio: number): boolean {
  return Math.floor((i + 1) * ratio + 1e-9) > Math.floor(i * ratio + 1e-9);
}

export function planFleet(options: FleetPlanOptions): FleetPlan {
  const { seed, sensors, cameras, ttsDevices } = options;
  for (const [name, n] of [['sensors', sensors], ['cameras', cameras], ['ttsDevices', ttsDevices]] as const) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name}: expected an integer >= 0 (got ${n})`);
  }
  const kinds = options.kinds?.length ? options.kinds : SIMULATED_KINDS;
  const districts = options.districts ?? DEMO_CITY.districts;
  const senmlRatio = options.senmlRatio ?? DEFAULT_SENML_RATIO;
  const frigateRatio = options.frigateRatio ?? DEFAULT_FRIGATE_RATIO;
  const ttsKinds = kinds.filter((k) => LORAWAN_KINDS.includes(k));
  const rand = mulberry32(hashSeed(seed, 'fleet'));
  const districtOrder = shuffled(rand, districts);
  const counters = new Map<string, number>();
  const devices: PlannedDevice[] = [];

  const place = (kind: SimulatedKind | 'camera', transport: Transport, index: number): PlannedDevice => {
    const district = districtOrder[index % districtOrder.length]!;
    const prefix = `${ID_PREFIX[kind]}-${district.id}`;
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    const id = `${prefix}-${String(n).padStart(3, '0')}`;
    const deviceRand = mulberry32(hashSeed(seed, id));
    return {
      id,
      kind,
      transport,
      district: district.id,
      position: inside(district, deviceRand),
      seed: hashSeed(seed, id, 'device'),
      profile: kind === 'camera' ? {} : profileFor(kind, deviceRand),
    };
  };

  for (let i = 0; i < sensors; i++) {
    devices.push(place(kinds[i % kinds.length]!, takes(i, senmlRatio) ? 'senml' : 'native', devices.length));
  }
  for (let i = 0; i < cameras; i++) {
    const device = place('camera', takes(i, frigateRatio) ? 'frigate' : 'camera', devices.length);
    const r = mulberry32(device.seed);
    device.zones = shuffled(r, CAMERA_ZONES).slice(0, 1 + Math.floor(r() * 3));
    devices.push(device);
  }
  const lorawanGateways = districts.map((d, i) => ({ id: `gw-${d.id}`, eui: hexBytes(mulberry32(hashSeed(seed, 'gw', i)), 8).toUpperCase() }));
  for (let i = 0; i < ttsDevices; i++) {
    const kind = (ttsKinds.length ? ttsKinds : kinds)[i % (ttsKinds.length || kinds.length)]!;
    const device = place(kind, 'tts', devices.length);
    const r = mulberry32(hashSeed(device.seed, 'lorawan'));
    const gateway = pick(r, lorawanGateways);
    device.lorawan = {
      devEui: ('70B3D57ED0' + hexBytes(r, 3)).toUpperCase(),
      joinEui: '0000000000000000',
      devAddr: ('26' + hexBytes(r, 3)).toUpperCase(),
      gatewayId: gateway.id,
      gatewayEui: gateway.eui,
    };
    devices.push(device);
  }
  return { seed, devices, tts: options.tts ?? { ...DEFAULT_TTS } };
}

/** A point inside the district, kept 2% off its edges. */
function inside(district: District, rand: Rand): Position {
  const [w, s, e, n] = district.bbox;
  const mx = (e - w) * 0.02;
  const my = (n - s) * 0.02;
  return { lat: round(between(rand, s + my, n - my), 6), lon: round(between(rand, w + mx, e - mx), 6) };
}

/** Devices that need their own MQTT login in per-device mode (the others speak through the NVR or TTS). */
export function ownLogin(device: PlannedDevice): boolean {
  return device.transport === 'native' || device.transport === 'senml' || device.transport === 'camera';
}
