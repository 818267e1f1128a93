// Readable units and labels from metric names, which carry their unit as a suffix (pm25_ugm3, noise_dba).

/** Metric name suffix -> display unit. Longest suffixes first, so `_per_min` wins over `_min`. */
const UNIT_BY_SUFFIX: ReadonlyArray<readonly [string, string]> = [
  ['_per_min', '/min'],
  ['_per_s', '/s'],
  ['_per_h', '/h'],
  ['_rh_pct', '% RH'],
  ['_ugm3', 'µg/m³'],
  ['_mgm3', 'mg/m³'],
  ['_ppm', 'ppm'],
  ['_ppb', 'ppb'],
  ['_dba', 'dBA'],
  ['_db', 'dB'],
  ['_kmh', 'km/h'],
  ['_pct', '%'],
  ['_hpa', 'hPa'],
  ['_kwh', 'kWh'],
  ['_cm', 'cm'],
  ['_mm', 'mm'],
  ['_km', 'km'],
  ['_lx', 'lx'],
  ['_ms', 'm/s'],
  ['_min', 'min'],
  ['_c', '°C'],
  ['_w', 'W'],
  ['_v', 'V'],
  ['_a', 'A'],
  ['_m', 'm'],
  ['_s', 's'],
  ['_h', 'h'],
];

/** Words that read better in capitals or with their chemistry. */
const WORDS: Readonly<Record<string, string>> = {
  pm1: 'PM1',
  pm25: 'PM2.5',
  pm2_5: 'PM2.5',
  pm4: 'PM4',
  pm10: 'PM10',
  no2: 'NO₂',
  no: 'NO',
  o3: 'O₃',
  co: 'CO',
  co2: 'CO₂',
  so2: 'SO₂',
  voc: 'VOC',
  aqi: 'AQI',
  avg: 'average',
};

export interface MetricLabel {
  /** "PM2.5", "Noise peak" */
  label: string;
  /** "µg/m³", "" when the name carries no unit */
  unit: string;
}

/** Splits a metric name into a readable label and unit: pm25_ugm3 -> {label: "PM2.5", unit: "µg/m³"}. */
export function describeMetric(name: string): MetricLabel {
  let base = name;
  let unit = '';
  for (const [suffix, display] of UNIT_BY_SUFFIX) {
    if (name.endsWith(suffix) && name.length > suffix.length) {
      base = name.slice(0, -suffix.length);
      unit = display;
      break;
    }
  }
  const whole = WORDS[base];
  if (whole) return { label: whole, unit };
  const words = base.split('_').map((w) => WORDS[w] ?? w);
  const label = words.join(' ');
  return { label: label.charAt(0).toUpperCase() + label.slice(1), unit };
}

/** The unit only: pm25_ugm3 -> "µg/m³". */
export function unitOf(name: string): string {
  return describeMetric(name).unit;
}

/** A value with a sensible number of digits: 12.5, 1,234, 0.042. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** "12.5 µg/m³", "45 %" (percent without a space reads as a ratio: 45%). */
export function formatValue(name: string, value: number): string {
  const unit = unitOf(name);
  if (!unit) return formatNumber(value);
  return unit === '%' ? `${formatNumber(value)}%` : `${formatNumber(value)} ${unit}`;
}

/** Time since an event, coarse enough to read across a room: "4 s", "12 min", "3 h", "2 d". */
export function formatAge(ageMs: number): string {
  const s = Math.max(0, Math.floor(ageMs / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Sensor kind for people: water_level -> "Water level". */
export function formatKind(kind: string): string {
  const text = kind.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
