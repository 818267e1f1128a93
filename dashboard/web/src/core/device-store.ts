// The live device table: the socket.io snapshot replaces it, deltas patch it. Pure, no I/O.
import type { DeviceSnapshot, DeviceState } from '@city/shared/live-events';

export type DeviceTable = Map<string, DeviceSnapshot>;

/** Replaces the whole table with a snapshot. */
export function applySnapshot(table: DeviceTable, devices: readonly DeviceSnapshot[]): void {
  table.clear();
  for (const d of devices) table.set(d.id, d);
}

/** Applies coalesced changes: the latest per device wins, removed ids disappear. */
export function applyDeltas(table: DeviceTable, devices: readonly DeviceSnapshot[], removed: readonly string[]): void {
  for (const d of devices) table.set(d.id, d);
  for (const id of removed) table.delete(id);
}

export interface StateCounts {
  total: number;
  online: number;
  offline: number;
  ok: number;
  warning: number;
  alarm: number;
}

/** What the header shows: devices online / offline and how many are in warning or alarm. */
export function countStates(devices: Iterable<DeviceSnapshot>): StateCounts {
  const counts: StateCounts = { total: 0, online: 0, offline: 0, ok: 0, warning: 0, alarm: 0 };
  for (const d of devices) {
    counts.total += 1;
    if (d.online && d.state !== 'offline') counts.online += 1;
    else counts.offline += 1;
    if (d.state === 'ok' || d.state === 'warning' || d.state === 'alarm') counts[d.state] += 1;
  }
  return counts;
}

/** Worst first: what an operator should look at before the rest. */
export const STATE_SEVERITY: Readonly<Record<DeviceState, number>> = { alarm: 3, warning: 2, offline: 1, ok: 0 };
