// Configuration of citizen reports: the Open311 API (keys, jurisdiction, service catalogue), the
// limits on submissions and photos, and the open data export. Read by config.ts; every problem goes
// into the reader's list, so start-up lists them all (a catalogue file: each of its problems).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EnvReader } from '@city/shared';
import { defaultCatalogue, parseCatalogue, type Catalogue } from '../open311/index.ts';

/** Licences the open data export may carry (SPDX ids), with the page each points to. */
export const OPEN_DATA_LICENSES = {
  'CC-BY-4.0': 'https://creativecommons.org/licenses/by/4.0/',
  'ODbL-1.0': 'https://opendatacommons.org/licenses/odbl/1-0/',
  'ODC-By-1.0': 'https://opendatacommons.org/licenses/by/1-0/',
  'CC0-1.0': 'https://creativecommons.org/publicdomain/zero/1.0/',
  'PDDL-1.0': 'https://opendatacommons.org/licenses/pddl/1-0/',
} as const;
export type OpenDataLicense = keyof typeof OPEN_DATA_LICENSES;

export interface ReportsConfig {
  /** OPEN311_API_KEYS: keys an Open311 client must send as api_key to POST; none = Open311 POST refused (403) */
  apiKeys: string[];
  /** OPEN311_JURISDICTION_ID: when set, a request naming another jurisdiction_id is refused (404) */
  jurisdictionId?: string;
  /** OPEN311_CATALOGUE_FILE (JSON) or the demo city's catalogue */
  catalogue: Catalogue;
  /** REPORTS_POST_RATE_PER_MIN: report submissions per client IP per minute (Open311 and the web form together) */
  postRatePerMin: number;
  /** REPORTS_MAX_PHOTOS: photos one web-form report may carry */
  maxPhotos: number;
  /** REPORTS_MAX_PHOTO_BYTES: largest photo, bytes */
  maxPhotoBytes: number;
  openData: {
    /** OPEN_DATA_COORD_DECIMALS: decimals kept of lat/long (3 ~ 100 m) in open data and public status */
    coordDecimals: number;
    /** OPEN_DATA_LICENSE */
    license: OpenDataLicense;
    licenseUrl: string;
    /** OPEN_DATA_ATTRIBUTION: who to credit */
    attribution: string;
  };
  discovery: {
    /** OPEN311_CONTACT: who API users may ask */
    contact: string;
    /** OPEN311_KEY_SERVICE: how to get an api_key */
    keyService: string;
  };
}

export const REPORTS_DEFAULTS = {
  postRatePerMin: 10,
  maxPhotos: 3,
  maxPhotoBytes: 5 * 1024 * 1024,
  coordDecimals: 3,
  license: 'CC-BY-4.0',
  attribution: 'City operations centre: citizen reports',
  contact: 'City operations centre; citizens report at /report',
  keyService: 'Ask the city operations centre for an api_key',
} as const;

/** Keys are compared in constant time and never logged; this says which one in logs and audit rows. */
export const apiKeyFingerprint = (key: string): string => `key-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;

const API_KEY_PATTERN = /^[\x21-\x7e]{16,200}$/;

function readApiKeys(env: EnvReader): string[] {
  const raw = env.optionalStr('OPEN311_API_KEYS');
  if (raw === undefined) return [];
  const keys = [...new Set(raw.split(',').map((k) => k.trim()).filter((k) => k !== ''))];
  keys.forEach((key, i) => {
    // the value is not echoed: it is a secret
    env.require(API_KEY_PATTERN.test(key), `OPEN311_API_KEYS: key ${i + 1} must be 16-200 printable characters without spaces or commas (e.g. openssl rand -hex 16)`);
  });
  return keys;
}

function readCatalogue(env: EnvReader): Catalogue {
  const file = env.optionalStr('OPEN311_CATALOGUE_FILE');
  if (file === undefined) return defaultCatalogue();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    env.require(false, `OPEN311_CATALOGUE_FILE: cannot read ${file} as JSON (${(err as Error).message})`);
    return defaultCatalogue();
  }
  const result = parseCatalogue(parsed);
  if (result.ok) return result.catalogue;
  for (const problem of result.errors) env.require(false, `OPEN311_CATALOGUE_FILE ${file}: ${problem}`);
  return defaultCatalogue();
}

export function readReportsConfig(env: EnvReader): ReportsConfig {
  const jurisdictionId = env.optionalStr('OPEN311_JURISDICTION_ID');
  if (jurisdictionId !== undefined) {
    env.require(/^[A-Za-z0-9_.:-]{1,100}$/.test(jurisdictionId), `OPEN311_JURISDICTION_ID: expected 1-100 letters, digits, _ . : - (got ${JSON.stringify(jurisdictionId)})`);
  }
  const license = env.oneOf('OPEN_DATA_LICENSE', Object.keys(OPEN_DATA_LICENSES) as OpenDataLicense[], REPORTS_DEFAULTS.license);
  return {
    apiKeys: readApiKeys(env),
    ...(jurisdictionId !== undefined ? { jurisdictionId } : {}),
    catalogue: readCatalogue(env),
    postRatePerMin: env.int('REPORTS_POST_RATE_PER_MIN', REPORTS_DEFAULTS.postRatePerMin, { min: 1, max: 100_000 }),
    maxPhotos: env.int('REPORTS_MAX_PHOTOS', REPORTS_DEFAULTS.maxPhotos, { min: 0, max: 20 }),
    maxPhotoBytes: env.int('REPORTS_MAX_PHOTO_BYTES', REPORTS_DEFAULTS.maxPhotoBytes, { min: 1024, max: 50 * 1024 * 1024 }),
    openData: {
      coordDecimals: env.int('OPEN_DATA_COORD_DECIMALS', REPORTS_DEFAULTS.coordDecimals, { min: 0, max: 6 }),
      license,
      licenseUrl: OPEN_DATA_LICENSES[license],
      attribution: env.str('OPEN_DATA_ATTRIBUTION', REPORTS_DEFAULTS.attribution),
    },
    discovery: {
      contact: env.str('OPEN311_CONTACT', REPORTS_DEFAULTS.contact),
      keyService: env.str('OPEN311_KEY_SERVICE', REPORTS_DEFAULTS.keyService),
    },
  };
}
