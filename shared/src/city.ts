// The demo city: central Chicago, the area covered by the OpenStreetMap vector tiles shipped in
// @mapbox/mvt-fixtures (z13, x 2098..2102, y 3042..3047). District outlines are simplified
// rectangles around the real community areas; a city replaces them with its own.
import type { Position } from './reading.ts';

export interface District {
  id: string;
  name: string;
  /** [west, south, east, north] in degrees */
  bbox: [number, number, number, number];
}

export const DEMO_CITY = {
  name: 'Chicago (central)',
  /** [west, south, east, north]: where the shipped basemap has tiles */
  bounds: [-87.8027, 41.7713, -87.583, 41.9677] as [number, number, number, number],
  center: { lat: 41.8819, lon: -87.6278 } as Position,
  districts: [
    { id: 'loop', name: 'Loop', bbox: [-87.64, 41.872, -87.62, 41.889] },
    { id: 'near-north', name: 'Near North Side', bbox: [-87.645, 41.889, -87.615, 41.912] },
    { id: 'near-west', name: 'Near West Side', bbox: [-87.69, 41.86, -87.64, 41.89] },
    { id: 'near-south', name: 'Near South Side', bbox: [-87.64, 41.845, -87.605, 41.872] },
    { id: 'west-town', name: 'West Town', bbox: [-87.7, 41.89, -87.645, 41.91] },
    { id: 'lincoln-park', name: 'Lincoln Park', bbox: [-87.665, 41.912, -87.63, 41.935] },
    { id: 'lower-west', name: 'Lower West Side', bbox: [-87.69, 41.845, -87.64, 41.86] },
    { id: 'logan-square', name: 'Logan Square', bbox: [-87.72, 41.91, -87.69, 41.935] },
    { id: 'bridgeport', name: 'Bridgeport', bbox: [-87.665, 41.825, -87.635, 41.845] },
    { id: 'lake-view', name: 'Lake View', bbox: [-87.675, 41.935, -87.64, 41.955] },
  ] satisfies District[],
};

/** The district containing a position, or undefined outside every district. */
export function districtAt(position: Position, districts: District[] = DEMO_CITY.districts): string | undefined {
  for (const d of districts) {
    const [w, s, e, n] = d.bbox;
    if (position.lon >= w && position.lon < e && position.lat >= s && position.lat < n) return d.id;
  }
  return undefined;
}
