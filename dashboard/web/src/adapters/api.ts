// The dashboard server's HTTP API, as the web app uses it.
import type { FeatureCollection, Geometry } from 'geojson';
import { HISTORY_RANGES, type DeviceHistory, type HistoryRange, type MapConfig } from '@city/shared/live-events';

export { HISTORY_RANGES };
export type { DeviceHistory, HistoryRange, MapConfig };
export type HistoryPoint = DeviceHistory['points'][number];

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const fetchConfig = (signal?: AbortSignal) => getJson<MapConfig>('/api/config', signal);

export const fetchDistricts = (signal?: AbortSignal) => getJson<FeatureCollection<Geometry | null>>('/api/districts', signal);

export function fetchHistory(deviceId: string, range: HistoryRange, metric: string | undefined, signal?: AbortSignal): Promise<DeviceHistory> {
  const q = new URLSearchParams({ range });
  if (metric) q.set('metric', metric);
  return getJson<DeviceHistory>(`/api/devices/${encodeURIComponent(deviceId)}/history?${q}`, signal);
}

/** The latest camera snapshot; `version` (e.g. the detection time) defeats the browser cache. */
export function cameraSnapshotUrl(cameraId: string, version: number | undefined): string {
  return `/api/cameras/${encodeURIComponent(cameraId)}/snapshot.jpg${version ? `?v=${version}` : ''}`;
}
