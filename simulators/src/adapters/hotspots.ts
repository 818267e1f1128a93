// Where things are going on, for reports "clustered around real incidents". The incident list
// (GET /api/incidents) needs an operator's session, which a simulated citizen does not have; the live
// map's device list (GET /api/devices) is public and shows devices in alarm, the places the rules
// raise incidents from. `npm start` reads the active incidents themselves, in process.
import { CATEGORY_OF_KIND, type Hotspot } from '../core/citizen-reports.ts';

const TIMEOUT_MS = 5000;

interface DeviceView {
  kind?: string;
  state?: string;
  position?: { lat: number; lon: number };
}

/** Devices in alarm on the dashboard's live map (its base URL, e.g. http://localhost:8080). */
export function alarmedDevices(dashboardUrl: string): () => Promise<Hotspot[]> {
  const url = new URL('/api/devices', dashboardUrl).toString();
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const devices = (await res.json()) as DeviceView[];
    return devices
      .filter((d) => d.state === 'alarm' && d.position && Number.isFinite(d.position.lat) && Number.isFinite(d.position.lon))
      .map((d) => ({ position: { lat: d.position!.lat, lon: d.position!.lon }, ...(d.kind && CATEGORY_OF_KIND[d.kind] ? { category: CATEGORY_OF_KIND[d.kind]! } : {}) }));
  };
}
