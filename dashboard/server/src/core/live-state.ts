// The latest state of every device on the map: registry entries (position, district, kind), the
// latest value per metric, connection status and camera detections. Pure: every input returns the
// DeviceSnapshot it changed (or nothing), and the caller decides whom to tell.
import type { CameraEvent, Device, DeviceSnapshot, DeviceState, Position, Reading, SensorKind } from '@city/shared';
import { deviceState, isSilent } from '@city/shared/thresholds';

interface Entry {
  id: string;
  kind: SensorKind;
  position?: Position;
  district?: string;
  /**
   * true: the device logs in itself, its connection status says whether it is online.
   * false: it reports through a gateway (LoRaWAN, NVR): online while it keeps reporting.
   */
  connects: boolean;
  connected: boolean;
  lastReadingAt?: number;
  metrics: Record<string, number>;
  lastDetection?: { label: string; score: number; at: number };
  hasSnapshot: boolean;
  /** listed in the registry (else known from its messages only, until ingest registers it) */
  listed: boolean;
  /** the state last handed out, to notice changes by silence alone */
  lastState?: DeviceState;
}

/** Only devices go on the map: not our services, not gateways (NVR, LoRaWAN bridge). */
export const isMapDevice = (device: Device) => device.role === 'device';

export class LiveState {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Takes the registry's list: adds new devices, updates kind/position/district, drops those gone.
   * Returns what changed (connection status is taken from the registry only for devices seen first).
   */
  syncRegistry(devices: readonly Device[], nowMs: number): { changed: DeviceSnapshot[]; removed: string[] } {
    const changed: DeviceSnapshot[] = [];
    const seen = new Set<string>();
    for (const device of devices) {
      if (!isMapDevice(device)) continue;
      seen.add(device.id);
      const entry = this.entries.get(device.id);
      if (!entry) {
        this.entries.set(device.id, {
          id: device.id,
          kind: device.kind,
          position: device.position,
          district: device.district,
          connects: device.hasSecret,
          connected: device.online,
          metrics: {},
          hasSnapshot: false,
          listed: true,
        });
        changed.push(this.snapshotOf(this.entries.get(device.id)!, nowMs));
        continue;
      }
      entry.listed = true;
      const moved = entry.position?.lat !== device.position?.lat || entry.position?.lon !== device.position?.lon;
      if (entry.kind !== device.kind || moved || entry.district !== device.district || entry.connects !== device.hasSecret) {
        entry.kind = device.kind;
        entry.position = device.position;
        entry.district = device.district;
        if (entry.connects !== device.hasSecret) entry.connected = device.online;
        entry.connects = device.hasSecret;
        changed.push(this.snapshotOf(entry, nowMs));
      }
    }
    const removed: string[] = [];
    for (const id of this.entries.keys()) {
      if (!seen.has(id) && this.entries.get(id)!.listed) {
        this.entries.delete(id);
        removed.push(id);
      }
    }
    return { changed, removed };
  }

  /** A decoded reading: its metrics become the latest unless an even newer reading is already known. */
  applyReading(reading: Reading, nowMs: number): DeviceSnapshot | undefined {
    const entry = this.entryFor(reading.deviceId, reading.kind, reading.district);
    if (entry.lastReadingAt !== undefined && reading.observedAt < entry.lastReadingAt) return undefined; // late replay
    entry.lastReadingAt = reading.observedAt;
    Object.assign(entry.metrics, reading.metrics);
    if (reading.position) entry.position = reading.position; // a mobile sensor
    return this.snapshotOf(entry, nowMs);
  }

  applyCameraEvent(event: CameraEvent, nowMs: number): DeviceSnapshot | undefined {
    const entry = this.entryFor(event.cameraId, 'camera');
    if (entry.lastDetection && event.observedAt < entry.lastDetection.at) return undefined;
    entry.lastDetection = { label: event.label, score: event.score, at: event.observedAt };
    if (event.hasSnapshot) entry.hasSnapshot = true;
    return this.snapshotOf(entry, nowMs);
  }

  /** A JPEG arrived for this camera (ingest stores it; we only note that there is one). */
  noteSnapshot(cameraId: string, nowMs: number): DeviceSnapshot | undefined {
    const entry = this.entryFor(cameraId, 'camera');
    if (entry.hasSnapshot) return undefined;
    entry.hasSnapshot = true;
    return this.snapshotOf(entry, nowMs);
  }

  /** The broker's retained city/devices/{id}/status: only for devices we know (it also covers gateways). */
  setConnected(id: string, connected: boolean, nowMs: number): DeviceSnapshot | undefined {
    const entry = this.entries.get(id);
    if (!entry || entry.connected === connected) return undefined;
    entry.connected = connected;
    return this.snapshotOf(entry, nowMs);
  }

  /** Devices whose state changed with time alone (silence -> offline). */
  sweep(nowMs: number): DeviceSnapshot[] {
    const changed: DeviceSnapshot[] = [];
    for (const entry of this.entries.values()) {
      if (this.stateOf(entry, nowMs) !== entry.lastState) changed.push(this.snapshotOf(entry, nowMs));
    }
    return changed;
  }

  get(id: string, nowMs: number): DeviceSnapshot | undefined {
    const entry = this.entries.get(id);
    return entry ? this.snapshotOf(entry, nowMs) : undefined;
  }

  all(nowMs: number): DeviceSnapshot[] {
    return [...this.entries.values()].map((e) => this.snapshotOf(e, nowMs));
  }

  /** A device not in the registry yet (ingest registers it on first sight): shown from its readings. */
  private entryFor(id: string, kind: SensorKind, district?: string): Entry {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { id, kind, connects: false, connected: false, metrics: {}, hasSnapshot: false, listed: false, ...(district ? { district } : {}) };
      this.entries.set(id, entry);
    }
    return entry;
  }

  private onlineOf(entry: Entry, nowMs: number): boolean {
    if (entry.connects) return entry.connected;
    return entry.lastReadingAt !== undefined && !isSilent(entry.kind, entry.lastReadingAt, nowMs);
  }

  private stateOf(entry: Entry, nowMs: number): DeviceState {
    return deviceState(entry.kind, entry.metrics, this.onlineOf(entry, nowMs), entry.lastReadingAt, nowMs);
  }

  private snapshotOf(entry: Entry, nowMs: number): DeviceSnapshot {
    const state = this.stateOf(entry, nowMs);
    entry.lastState = state;
    const snapshot: DeviceSnapshot = {
      id: entry.id,
      kind: entry.kind,
      state,
      online: this.onlineOf(entry, nowMs),
      metrics: { ...entry.metrics },
    };
    if (entry.position) snapshot.position = entry.position;
    if (entry.district) snapshot.district = entry.district;
    if (entry.lastReadingAt !== undefined) snapshot.lastReadingAt = entry.lastReadingAt;
    if (entry.lastDetection) snapshot.lastDetection = entry.lastDetection;
    if (entry.kind === 'camera') snapshot.hasSnapshot = entry.hasSnapshot;
    return snapshot;
  }
}
