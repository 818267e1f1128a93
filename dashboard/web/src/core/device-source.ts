// What the map's clustered `devices` source holds, mirrored here so that a live delta becomes a small
// diff for maplibre's GeoJSONSource.updateData (features keyed by the `id` property: the source's
// promoteId) instead of a rebuilt collection handed to setData. Only what the map draws counts: a new
// pm2.5 value that leaves a device's state alone changes nothing on the map. A diff touching more than
// a tenth of the source goes as the whole collection instead: maplibre's worker applies a diff's
// updates one by one over the whole source (cost ~ updates x features; measured at 100k features:
// 100 updates 0.38 s, 3,000 0.54 s, 10,000 0.95 s = setData's 0.9 s). Pure, no I/O.
import type { Point } from 'geojson';
import type { DeviceSnapshot } from '@city/shared/live-events';
import { toDeviceFeature, type DeviceFeature, type DeviceFeatureProperties, type DeviceFilter } from './geojson.ts';

/** The property holding a feature's id: the source's `promoteId`. */
export const DEVICE_FEATURE_ID = 'id' satisfies keyof DeviceFeatureProperties;

/** One feature's change; the same shape as maplibre-gl's GeoJSONFeatureDiff. */
export interface DeviceFeatureUpdate {
  id: string;
  newGeometry?: Point;
  addOrUpdateProperties?: { key: keyof DeviceFeatureProperties; value: DeviceFeatureProperties[keyof DeviceFeatureProperties] }[];
}

/** The same shape as maplibre-gl's GeoJSONSourceDiff (applied in the order remove, add, update). */
export interface DeviceSourceDiff {
  remove?: string[];
  add?: DeviceFeature[];
  update?: DeviceFeatureUpdate[];
}

const DRAWN: readonly (keyof DeviceFeatureProperties)[] = ['kind', 'state', 'camera', 'severity'];

/** past this share of the source's features, a change goes as the whole collection */
export const DIFF_MAX_SHARE = 0.1;

/** What to send to the source: a diff for updateData, or everything for setData. */
export type DeviceSourceChange = { diff: DeviceSourceDiff } | { data: DeviceCollection };

export interface DeviceCollection {
  type: 'FeatureCollection';
  features: DeviceFeature[];
}

export class DeviceSourceMirror {
  private readonly held = new Map<string, DeviceFeature>();

  /** features the source holds */
  get size(): number {
    return this.held.size;
  }

  /** Everything again (a snapshot arrived, the filter changed): the collection for setData. */
  reset(devices: Iterable<DeviceSnapshot>, filter: DeviceFilter): DeviceCollection {
    this.held.clear();
    for (const d of devices) {
      const feature = toDeviceFeature(d, filter);
      if (feature) this.held.set(d.id, feature);
    }
    return this.collection();
  }

  /** everything the source holds, for setData */
  collection(): DeviceCollection {
    return { type: 'FeatureCollection', features: [...this.held.values()] };
  }

  /**
   * The change for these devices: a diff while it touches at most DIFF_MAX_SHARE of the source, else the
   * whole collection; undefined when nothing the map draws changed.
   */
  change(ids: Iterable<string>, devices: ReadonlyMap<string, DeviceSnapshot>, filter: DeviceFilter): DeviceSourceChange | undefined {
    const before = this.held.size;
    const diff = this.diff(ids, devices, filter);
    if (!diff) return undefined;
    const touched = (diff.remove?.length ?? 0) + (diff.add?.length ?? 0) + (diff.update?.length ?? 0);
    return touched > Math.max(before, this.held.size) * DIFF_MAX_SHARE ? { data: this.collection() } : { diff };
  }

  /**
   * The source's change for these devices, as `devices` has them now (an id it lacks was removed), or
   * undefined when nothing the map draws changed.
   */
  diff(ids: Iterable<string>, devices: ReadonlyMap<string, DeviceSnapshot>, filter: DeviceFilter): DeviceSourceDiff | undefined {
    const remove: string[] = [];
    const add: DeviceFeature[] = [];
    const update: DeviceFeatureUpdate[] = [];
    for (const id of ids) {
      const device = devices.get(id);
      const next = device ? toDeviceFeature(device, filter) : undefined;
      const held = this.held.get(id);
      if (!next) {
        if (held) {
          this.held.delete(id);
          remove.push(id);
        }
        continue;
      }
      this.held.set(id, next);
      if (!held) {
        add.push(next);
        continue;
      }
      const change: DeviceFeatureUpdate = { id };
      const [lon, lat] = next.geometry.coordinates;
      if (lon !== held.geometry.coordinates[0] || lat !== held.geometry.coordinates[1]) change.newGeometry = next.geometry;
      for (const key of DRAWN) {
        if (next.properties[key] !== held.properties[key]) (change.addOrUpdateProperties ??= []).push({ key, value: next.properties[key] });
      }
      if (change.newGeometry || change.addOrUpdateProperties) update.push(change);
    }
    if (remove.length === 0 && add.length === 0 && update.length === 0) return undefined;
    return { ...(remove.length ? { remove } : {}), ...(add.length ? { add } : {}), ...(update.length ? { update } : {}) };
  }
}
