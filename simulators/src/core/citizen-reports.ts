// Simulated citizens: what they report (a service of the demo catalogue, a description in their own
// words, the service's questions answered), where (inside a district of the demo city, or within
// ~50 m of something going on), and what to do when the city answers 429. Pure: seeded by the caller.
import { DEMO_CITY, type District, type Position } from '@city/shared';
import { between, intBetween, pick, round, type Rand } from './prng.ts';

/** Somewhere things are going on: an active incident, or a device in alarm. */
export interface Hotspot {
  position: Position;
  /** the incident's category (or the one a device kind raises), to pick a fitting service */
  category?: string;
}

/** One kind of report: a service of the shipped Open311 catalogue and how citizens fill it in. */
interface ReportTemplate {
  serviceCode: string;
  /** incident categories this service is about (the catalogue's category, and close ones) */
  categories: readonly string[];
  descriptions: readonly string[];
  /** attribute[code] -> value; required ones always, others some of the time */
  attributes: (rand: Rand) => Record<string, string>;
}

const sometimes = (rand: Rand, p: number, code: string, value: () => string): Record<string, string> => (rand() < p ? { [code]: value() } : {});

/** Matches dashboard/server/src/open311/default-catalogue.json (codes, required attributes, keys). */
export const REPORT_TEMPLATES: readonly ReportTemplate[] = [
  {
    serviceCode: '001',
    categories: ['traffic'],
    descriptions: ['Deep pothole in the right lane, cars swerving around it', 'Pothole at the crosswalk, someone could trip', 'Road surface has caved in near the curb', 'Big hole in the bike lane'],
    attributes: (rand) => ({ size: pick(rand, ['small', 'medium', 'large']), ...sometimes(rand, 0.6, 'position', () => pick(rand, ['traffic_lane', 'bike_lane', 'crosswalk', 'curb'])) }),
  },
  {
    serviceCode: '002',
    categories: ['lighting'],
    descriptions: ['Street light out, the corner is completely dark', 'Lamp keeps flickering all night', 'Light has been on all day', 'Two lights in a row are out on this block'],
    attributes: (rand) => ({
      ...sometimes(rand, 0.4, 'pole_number', () => String(intBetween(rand, 1000, 99999)).padStart(5, '0')),
      ...sometimes(rand, 0.8, 'fault', () => pick(rand, ['out', 'flickering', 'day_burning'])),
    }),
  },
  {
    serviceCode: '003',
    categories: ['waste'],
    descriptions: ['Mattress and bags dumped in the alley', 'Old tires left by the fence', 'Pile of construction debris on the sidewalk', 'Someone dumped a fridge here'],
    attributes: (rand) => ({
      ...sometimes(rand, 0.7, 'materials', () => pick(rand, ['bags', 'furniture', 'appliances', 'tires', 'construction'])),
      ...sometimes(rand, 0.5, 'quantity', () => pick(rand, ['single_item', 'car_load', 'truck_load'])),
    }),
  },
  {
    serviceCode: '004',
    categories: ['flooding'],
    descriptions: ['Water over the sidewalk under the viaduct', 'Storm drain blocked, street is flooding', 'Standing water across both lanes', 'Water bubbling up from the street'],
    attributes: (rand) => ({
      ...sometimes(rand, 0.6, 'depth_cm', () => String(intBetween(rand, 3, 60))),
      ...sometimes(rand, 0.6, 'cause', () => pick(rand, ['blocked_drain', 'burst_main', 'heavy_rain', 'unknown'])),
    }),
  },
  {
    serviceCode: '005',
    categories: ['noise'],
    descriptions: ['Loud music from the bar every night', 'Construction work started before 7 am', 'Car alarm going off for an hour', 'Very loud generator running all night'],
    attributes: (rand) => ({
      time_of_day: pick(rand, ['morning', 'afternoon', 'evening', 'night']),
      ...sometimes(rand, 0.7, 'source', () => pick(rand, ['construction', 'music', 'vehicle', 'alarm', 'other'])),
    }),
  },
  {
    serviceCode: '006',
    categories: ['citizen_report', 'security'],
    descriptions: ['Fresh graffiti on the bus shelter', 'Tags sprayed all over the bridge', 'Offensive graffiti on the school wall'],
    attributes: (rand) => ({
      ...sometimes(rand, 0.7, 'surface', () => pick(rand, ['public_building', 'street_furniture', 'bridge', 'private_wall'])),
      ...sometimes(rand, 0.5, 'offensive', () => pick(rand, ['yes', 'no'])),
    }),
  },
  {
    serviceCode: '007',
    categories: ['traffic', 'parking'],
    descriptions: ['Stop sign knocked down at the intersection', 'Speed limit sign bent over', 'Street name sign missing', 'Sign covered by tree branches'],
    attributes: (rand) => ({
      sign_type: pick(rand, ['stop', 'yield', 'speed_limit', 'street_name', 'other']),
      ...sometimes(rand, 0.7, 'damage', () => pick(rand, ['knocked_down', 'bent', 'faded', 'missing', 'obscured'])),
    }),
  },
  {
    serviceCode: '008',
    categories: ['waste'],
    descriptions: ['Litter bin overflowing, trash blowing around', 'Recycling bin full for days', 'Bin by the park entrance is overflowing'],
    attributes: (rand) => ({ ...sometimes(rand, 0.6, 'bin_type', () => pick(rand, ['litter', 'recycling', 'dog_waste'])) }),
  },
];

/** The incident category a device in alarm would raise (the shipped rules), for picking a service. */
export const CATEGORY_OF_KIND: Readonly<Record<string, string>> = {
  water_level: 'flooding',
  noise: 'noise',
  street_light: 'lighting',
  waste_bin: 'waste',
  traffic: 'traffic',
  parking: 'parking',
  air_quality: 'air_quality',
};

/** How far from a hotspot a clustered report lands, metres. */
export const NEAR_HOTSPOT_M = 50;
const METRES_PER_DEGREE_LAT = 111_320;

/** A point within `maxM` of `center`, uniform over the disc. */
export function offsetPosition(rand: Rand, center: Position, maxM: number): Position {
  const r = maxM * Math.sqrt(rand());
  const angle = 2 * Math.PI * rand();
  const dLat = (r * Math.cos(angle)) / METRES_PER_DEGREE_LAT;
  const dLon = (r * Math.sin(angle)) / (METRES_PER_DEGREE_LAT * Math.cos((center.lat * Math.PI) / 180));
  return { lat: round(center.lat + dLat, 6), lon: round(center.lon + dLon, 6) };
}

/** A point inside one of the districts, each district as likely as its area. */
export function positionInDistricts(rand: Rand, districts: readonly District[] = DEMO_CITY.districts): Position {
  const area = (d: District) => (d.bbox[2] - d.bbox[0]) * (d.bbox[3] - d.bbox[1]);
  let x = rand() * districts.reduce((sum, d) => sum + area(d), 0);
  let chosen = districts[districts.length - 1]!;
  for (const d of districts) {
    x -= area(d);
    if (x < 0) {
      chosen = d;
      break;
    }
  }
  const [w, s, e, n] = chosen.bbox;
  // inside the edges: districtAt() treats east and north edges as outside
  return { lat: round(between(rand, s, n), 6), lon: round(between(rand, w, e), 6) };
}

export interface PlannedReport {
  serviceCode: string;
  position: Position;
  /** whether it was placed next to a hotspot */
  nearHotspot: boolean;
  /** the Open311 POST fields, api_key excluded */
  fields: Record<string, string>;
}

export interface PlanReportOptions {
  /** share of reports placed within NEAR_HOTSPOT_M of a hotspot (when there is one), 0..1 */
  nearHotspotRatio: number;
  hotspots: readonly Hotspot[];
  districts?: readonly District[];
}

/**
 * One citizen's report. Next to a hotspot (with probability nearHotspotRatio), the service fits the
 * hotspot's category when one does (a flooding report by a flooded underpass); anywhere else, any
 * service.
 */
export function planReport(rand: Rand, opts: PlanReportOptions): PlannedReport {
  const near = opts.hotspots.length > 0 && rand() < opts.nearHotspotRatio;
  const spot = near ? pick(rand, opts.hotspots) : undefined;
  const fitting = spot?.category === undefined ? [] : REPORT_TEMPLATES.filter((t) => t.categories.includes(spot.category!));
  const template = pick(rand, fitting.length > 0 ? fitting : REPORT_TEMPLATES);
  const position = spot ? offsetPosition(rand, spot.position, NEAR_HOTSPOT_M) : positionInDistricts(rand, opts.districts);
  const fields: Record<string, string> = {
    service_code: template.serviceCode,
    lat: String(position.lat),
    long: String(position.lon),
    description: pick(rand, template.descriptions),
  };
  for (const [code, value] of Object.entries(template.attributes(rand))) fields[`attribute[${code}]`] = value;
  return { serviceCode: template.serviceCode, position, nearHotspot: spot !== undefined, fields };
}

/** Retry-After (seconds or an HTTP date) in ms from now; `fallbackMs` when missing or unreadable. */
export function retryAfterMs(header: string | null | undefined, nowMs: number, fallbackMs: number): number {
  if (header === null || header === undefined || header.trim() === '') return fallbackMs;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : fallbackMs;
}

/** Waits between reports at `perMin` on average: exponential (a Poisson process), capped at 4x the mean. */
export function nextGapMs(rand: Rand, perMin: number): number {
  const meanMs = 60_000 / perMin;
  return Math.min(4 * meanMs, -Math.log(1 - rand()) * meanMs);
}
