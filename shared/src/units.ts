// Units become part of metric names (pm25_ugm3, noise_dba, water_level_cm): these tables map SenML
// units (RFC 8428 section 12.1 and the IANA "SenML Units" registry, plus a few common ones) to the
// suffix a metric name carries.

/** SenML unit symbol -> metric name suffix (without the leading underscore). */
export const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
  // SI base and derived units
  m: 'm',
  kg: 'kg',
  g: 'g',
  s: 's',
  A: 'a',
  K: 'k',
  cd: 'cd',
  mol: 'mol',
  Hz: 'hz',
  rad: 'rad',
  sr: 'sr',
  N: 'n',
  Pa: 'pa',
  J: 'j',
  W: 'w',
  C: 'coulomb',
  V: 'v',
  F: 'farad',
  Ohm: 'ohm',
  S: 'siemens',
  Wb: 'wb',
  T: 'tesla',
  H: 'henry',
  Cel: 'c',
  lm: 'lm',
  lx: 'lx',
  Bq: 'bq',
  Gy: 'gy',
  Sv: 'sv',
  kat: 'kat',
  m2: 'm2',
  m3: 'm3',
  l: 'l',
  'm/s': 'ms',
  'm/s2': 'ms2',
  'm3/s': 'm3s',
  'l/s': 'ls',
  'W/m2': 'wm2',
  'cd/m2': 'cdm2',
  bit: 'bit',
  'bit/s': 'bps',
  pH: 'ph',
  dB: 'db',
  dBW: 'dbw',
  Bspl: 'bspl',
  count: 'count',
  '/': 'ratio',
  '%': 'pct',
  '%RH': 'rh_pct',
  '%EL': 'pct',
  EL: 'remaining_s',
  '1/s': 'per_s',
  '1/min': 'per_min',
  'beat/min': 'bpm',
  beats: 'beats',
  'S/m': 'sm',
  B: 'bytes',
  VA: 'va',
  VAs: 'vas',
  var: 'var',
  vars: 'vars',
  'J/m': 'jm',
  'kg/m3': 'kgm3',
  deg: 'deg',
  NTU: 'ntu',
  // RFC 8798 secondary and scaled units
  ms: 'msec',
  min: 'min',
  h: 'h',
  MHz: 'mhz',
  kW: 'kw',
  kVA: 'kva',
  kvar: 'kvar',
  Ah: 'ah',
  Wh: 'wh',
  kWh: 'kwh',
  varh: 'varh',
  kvarh: 'kvarh',
  kVAh: 'kvah',
  'Wh/km': 'whkm',
  KiB: 'kib',
  GB: 'gb',
  'Mbit/s': 'mbps',
  'B/s': 'bytes_s',
  'MB/s': 'mbytes_s',
  mV: 'mv',
  mA: 'ma',
  dBm: 'dbm',
  'ug/m3': 'ugm3',
  'mg/m3': 'mgm3',
  'mm/h': 'mmh',
  'm/h': 'mh',
  ppm: 'ppm',
  ppb: 'ppb',
  '/100': 'pct',
  '/1000': 'permille',
  hPa: 'hpa',
  mm: 'mm',
  cm: 'cm',
  km: 'km',
  'km/h': 'kmh',
  gravity: 'gravity',
  dps: 'dps',
  gauss: 'gauss',
  Vrms: 'vrms',
  // not registered, but what sound level meters say
  dBA: 'dba',
};

/** What a record without a name measures, by its unit: [{"bn":"urn:dev:ow:..","u":"Cel","v":23.1}]. */
export const UNIT_DEFAULT_NAMES: Readonly<Record<string, string>> = {
  Cel: 'temperature',
  K: 'temperature',
  '%RH': 'humidity',
  '%EL': 'battery',
  EL: 'battery',
  V: 'voltage',
  mV: 'voltage',
  Vrms: 'voltage',
  A: 'current',
  mA: 'current',
  W: 'power',
  kW: 'power',
  Wh: 'energy',
  kWh: 'energy',
  Pa: 'pressure',
  hPa: 'pressure',
  lx: 'illuminance',
  dB: 'noise',
  dBA: 'noise',
  'm/s': 'speed',
  'km/h': 'speed',
  'ug/m3': 'concentration',
  'mg/m3': 'concentration',
  ppm: 'concentration',
  ppb: 'concentration',
  dBm: 'signal',
  count: 'count',
};

/** SenML units that are a position, not a measurement. */
export const POSITION_UNITS = { lat: 'lat', lon: 'lon' } as const;

const NOISE_WORDS = /(^|_)(noise|sound|laeq|lamax|lamin|spl)(_|$)/;

/** Lowercase letters, digits and single underscores; camelCase split: "TempC_SHT" -> "temp_c_sht". */
export function toMetricToken(raw: string): string {
  return raw
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The suffix a metric measured in `unit` carries; undefined for no unit. Unknown units are sanitised. */
export function unitSuffix(unit: string | undefined, name = ''): string | undefined {
  if (unit === undefined || unit === '') return undefined;
  // A decibel on a noise metric is a sound level, which city noise sensors report A-weighted.
  if (unit === 'dB' && NOISE_WORDS.test(name)) return 'dba';
  const known = UNIT_SUFFIXES[unit];
  if (known !== undefined) return known;
  const token = toMetricToken(unit);
  return token === '' ? undefined : token;
}

/** name + "_" + unit suffix, unless the name already ends with it: ("noise", "dB") -> "noise_dba". */
export function withUnitSuffix(name: string, unit: string | undefined): string {
  const suffix = unitSuffix(unit, name);
  if (suffix === undefined || name === suffix || name.endsWith(`_${suffix}`)) return name;
  return name === '' ? suffix : `${name}_${suffix}`;
}
