// POST requests: a form body (application/x-www-form-urlencoded, already parsed) -> a NewServiceRequest,
// or every problem as an Open311 error. Pure.
//
// Both parser shapes are read: flat keys as `querystring` / express.urlencoded({ extended: false })
// give them ('attribute[size]': 'small', 'attribute[materials][]': ['a', 'b']) and the nested
// object `qs` / extended: true gives ({ attribute: { size: 'small', materials: ['a', 'b'] } }).
// An empty value counts as absent (the spec: a null parameter equals an undeclared one).
import { describe } from '@city/shared/decoders/common';
import { districtAt } from '@city/shared/city';
import { OPEN311_LIMITS, type Open311Error } from '@city/shared/open311';
import type { Position } from '@city/shared/reading';
import { findService, type Catalogue, type CatalogueAttribute, type CatalogueService } from './catalogue.ts';
import type { AttributeAnswer, NewServiceRequest, Open311Result, Reporter, ServiceArea } from './model.ts';
import { formatW3cDateTime, parseW3cDateTime } from './time.ts';

export interface ValidateOptions {
  catalogue: Catalogue;
  /** requests located outside `bounds` are refused */
  area: ServiceArea;
  /** IANA zone of the city: datetime answers without an offset are read in it */
  timeZone: string;
  /** when set, a jurisdiction_id that differs is refused (404); absent is fine: we serve one */
  jurisdictionId?: string;
}

/** A parsed form body: values are strings, arrays of strings (repeated keys) or nested objects (qs). */
export type Open311Body = Readonly<Record<string, unknown>>;

// C0 controls and DEL; the second keeps tab, LF and CR for multi-line text
const CONTROL = /[\u0000-\u001F\u007F]/;
const CONTROL_EXCEPT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const EMAIL_PATTERN = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\.]+(?:\.[^\s@<>(),;:"[\]\\.]+)+$/;
const PHONE_PATTERN = /^\+?[\d\s().-]+$/;
const FLAT_ATTRIBUTE_KEY = /^attribute\[([^\][]*)\](?:\[\d*\])?$/;

const bad = (description: string): Open311Error => ({ code: 400, description });
const chars = (text: string) => [...text].length;

/** Reads one scalar field: trimmed text, undefined when absent or empty, an error when sent twice. */
function scalar(body: Open311Body, key: string, errors: Open311Error[]): string | undefined {
  let value = body[key];
  if (Array.isArray(value)) {
    const present = value.filter((v) => !(typeof v === 'string' && v.trim() === ''));
    if (present.length > 1) {
      errors.push(bad(`${key}: sent ${present.length} times; send it once`));
      return undefined;
    }
    value = present[0];
  }
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push(bad(`${key}: expected text (got ${describe(value)})`));
    return undefined;
  }
  const text = value.trim();
  return text === '' ? undefined : text;
}

/** A one-line text field with a length limit. */
function line(body: Open311Body, key: string, maxChars: number, errors: Open311Error[]): string | undefined {
  const text = scalar(body, key, errors);
  if (text === undefined) return undefined;
  if (CONTROL.test(text)) {
    errors.push(bad(`${key}: expected one line of text without control characters`));
    return undefined;
  }
  if (chars(text) > maxChars) {
    errors.push(bad(`${key}: ${chars(text)} characters; at most ${maxChars} are allowed`));
    return undefined;
  }
  return text;
}

function coordinate(key: 'lat' | 'long', text: string, limit: number, errors: Open311Error[]): number | undefined {
  const value = NUMBER_PATTERN.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value)) {
    errors.push(bad(`${key}: expected a number of degrees (WGS84) (got ${describe(text)})`));
    return undefined;
  }
  if (value < -limit || value > limit) {
    errors.push(bad(`${key}: ${value} is out of range -${limit}..${limit}`));
    return undefined;
  }
  return value;
}

function inside(area: ServiceArea, p: Position): boolean {
  const [west, south, east, north] = area.bounds;
  return p.lon >= west && p.lon <= east && p.lat >= south && p.lat <= north;
}

interface Location {
  position?: Position;
  addressString?: string;
  addressId?: string;
}

function readLocation(body: Open311Body, area: ServiceArea, errors: Open311Error[]): Location {
  const before = errors.length;
  const latText = scalar(body, 'lat', errors);
  const longText = scalar(body, 'long', errors);
  const addressString = line(body, 'address_string', OPEN311_LIMITS.addressMaxChars, errors);
  const addressId = line(body, 'address_id', OPEN311_LIMITS.idMaxChars, errors);
  let position: Position | undefined;
  if (latText !== undefined && longText !== undefined) {
    const lat = coordinate('lat', latText, 90, errors);
    const lon = coordinate('long', longText, 180, errors);
    if (lat !== undefined && lon !== undefined) {
      position = { lat, lon };
      if (!inside(area, position)) {
        errors.push(bad(`lat/long ${lat}, ${lon} is outside the service area (${area.name}); report problems inside the city`));
        position = undefined;
      }
    }
  } else if (latText !== undefined || longText !== undefined) {
    errors.push(bad(`lat and long: send both (got only ${latText !== undefined ? 'lat' : 'long'})`));
  } else if (addressString === undefined && addressId === undefined && errors.length === before) {
    errors.push(bad('location: required; send lat and long, address_string or address_id'));
  }
  return {
    ...(position ? { position } : {}),
    ...(addressString !== undefined ? { addressString } : {}),
    ...(addressId !== undefined ? { addressId } : {}),
  };
}

function readDescription(body: Open311Body, errors: Open311Error[]): string | undefined {
  const raw = scalar(body, 'description', errors);
  if (raw === undefined) return undefined;
  const text = raw.replace(/\r\n?/g, '\n');
  const max = OPEN311_LIMITS.descriptionMaxChars;
  if (chars(text) > max) {
    errors.push(bad(`description: ${chars(text)} characters; at most ${max} are allowed`));
    return undefined;
  }
  if (CONTROL_EXCEPT_LINE_BREAKS.test(text)) {
    errors.push(bad('description: control characters are not allowed (line breaks and tabs are)'));
    return undefined;
  }
  return text;
}

function readReporter(body: Open311Body, errors: Open311Error[]): Reporter {
  const reporter: Reporter = {};
  const email = line(body, 'email', OPEN311_LIMITS.emailMaxChars, errors);
  if (email !== undefined) {
    if (EMAIL_PATTERN.test(email)) reporter.email = email;
    else errors.push(bad(`email: expected an address like name@example.org (got ${describe(email)})`));
  }
  const phone = line(body, 'phone', OPEN311_LIMITS.phoneMaxChars, errors);
  if (phone !== undefined) {
    const digits = phone.replace(/\D/g, '');
    const { phoneMinDigits: min, phoneMaxDigits: max } = OPEN311_LIMITS;
    if (PHONE_PATTERN.test(phone) && phone.indexOf('+') <= 0 && digits.length >= min && digits.length <= max) {
      reporter.phone = `${phone.startsWith('+') ? '+' : ''}${digits}`;
    } else {
      errors.push(bad(`phone: expected a phone number of ${min} to ${max} digits, like +1 312 555 0100 (got ${describe(phone)})`));
    }
  }
  const firstName = line(body, 'first_name', OPEN311_LIMITS.nameMaxChars, errors);
  if (firstName !== undefined) reporter.firstName = firstName;
  const lastName = line(body, 'last_name', OPEN311_LIMITS.nameMaxChars, errors);
  if (lastName !== undefined) reporter.lastName = lastName;
  const deviceId = line(body, 'device_id', OPEN311_LIMITS.idMaxChars, errors);
  if (deviceId !== undefined) reporter.deviceId = deviceId;
  const accountId = line(body, 'account_id', OPEN311_LIMITS.idMaxChars, errors);
  if (accountId !== undefined) reporter.accountId = accountId;
  return reporter;
}

function readMediaUrl(body: Open311Body, errors: Open311Error[]): string | undefined {
  const text = line(body, 'media_url', OPEN311_LIMITS.mediaUrlMaxChars, errors);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    errors.push(bad(`media_url: expected an http or https URL (got ${describe(text)})`));
    return undefined;
  }
  return text;
}

// ---- attributes ----

/** Values of one attribute as sent: a string, an array, or (qs with many items) an index-keyed object. */
function attributeValues(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.every(([k, v]) => /^\d+$/.test(k) && typeof v === 'string')) {
      return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v as string);
    }
  }
  return undefined;
}

/** Every attribute answer in the body, by code, from both shapes; empty values dropped. A code whose
 * value could not be read is reported here and left out of `answers` and of later checks. */
function collectAttributes(body: Open311Body, errors: Open311Error[]): { answers: Map<string, string[]>; unreadable: Set<string> } {
  const answers = new Map<string, string[]>();
  const unreadable = new Set<string>();
  const add = (code: string, value: unknown) => {
    const values = attributeValues(value);
    if (values === undefined) {
      errors.push(bad(`attribute[${code}]: expected text or a list of text (got ${describe(value)})`));
      unreadable.add(code);
      return;
    }
    const present = values.map((v) => v.trim()).filter((v) => v !== '');
    answers.set(code, [...(answers.get(code) ?? []), ...present]);
  };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'attribute') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        errors.push(bad(`attribute: expected attribute[code]=value pairs (got ${describe(value)})`));
        continue;
      }
      for (const [code, v] of Object.entries(value)) add(code, v);
      continue;
    }
    const flat = FLAT_ATTRIBUTE_KEY.exec(key);
    if (flat) add(flat[1]!, value);
  }
  return { answers, unreadable };
}

function answer(attribute: CatalogueAttribute, values: string[], timeZone: string, errors: Open311Error[]): AttributeAnswer | undefined {
  const field = `attribute[${attribute.code}]`;
  const keys = attribute.values.map((v) => v.key);
  const notOneOf = (v: string) => `${field}: ${describe(v)} is not one of ${keys.join(', ')}`;
  if (attribute.datatype === 'multivaluelist') {
    const unknown = values.filter((v) => !keys.includes(v));
    if (unknown.length > 0) {
      for (const v of unknown) errors.push(bad(notOneOf(v)));
      return undefined;
    }
    return [...new Set(values)];
  }
  if (values.length > 1) {
    errors.push(bad(`${field}: expected one value (got ${values.length})`));
    return undefined;
  }
  const value = values[0]!;
  switch (attribute.datatype) {
    case 'singlevaluelist':
      if (keys.includes(value)) return value;
      errors.push(bad(notOneOf(value)));
      return undefined;
    case 'number': {
      const n = NUMBER_PATTERN.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n)) {
        errors.push(bad(`${field}: expected a number (got ${describe(value)})`));
        return undefined;
      }
      if ((attribute.min !== undefined && n < attribute.min) || (attribute.max !== undefined && n > attribute.max)) {
        errors.push(bad(`${field}: ${n} is out of range ${attribute.min ?? '-∞'}..${attribute.max ?? '∞'}`));
        return undefined;
      }
      return n;
    }
    case 'datetime': {
      const at = parseW3cDateTime(value, timeZone);
      if (at === undefined) {
        errors.push(bad(`${field}: expected a date and time like 2026-11-28T09:30:00-06:00 (got ${describe(value)})`));
        return undefined;
      }
      return formatW3cDateTime(at, timeZone);
    }
    case 'string': {
      const max = OPEN311_LIMITS.attributeStringMaxChars;
      if (CONTROL.test(value)) errors.push(bad(`${field}: expected one line of text without control characters`));
      else if (chars(value) > max) errors.push(bad(`${field}: ${chars(value)} characters; at most ${max} are allowed`));
      else return value;
      return undefined;
    }
    case 'text': {
      const text = value.replace(/\r\n?/g, '\n');
      const max = OPEN311_LIMITS.attributeTextMaxChars;
      if (CONTROL_EXCEPT_LINE_BREAKS.test(text)) errors.push(bad(`${field}: control characters are not allowed (line breaks and tabs are)`));
      else if (chars(text) > max) errors.push(bad(`${field}: ${chars(text)} characters; at most ${max} are allowed`));
      else return text;
      return undefined;
    }
  }
}

function readAttributes(
  body: Open311Body,
  service: CatalogueService | undefined,
  timeZone: string,
  errors: Open311Error[],
): Record<string, AttributeAnswer> {
  const { answers, unreadable } = collectAttributes(body, errors);
  const result: Record<string, AttributeAnswer> = {};
  // without a known service there is nothing to check the answers against
  if (!service) return result;
  for (const attribute of [...service.attributes].sort((a, b) => a.order - b.order)) {
    const values = answers.get(attribute.code) ?? [];
    answers.delete(attribute.code);
    // informational attributes have nothing to answer: a client echoing one is ignored
    if (!attribute.variable || unreadable.has(attribute.code)) continue;
    if (values.length === 0) {
      if (attribute.required) errors.push(bad(`attribute[${attribute.code}]: required (${attribute.description})`));
      continue;
    }
    const value = answer(attribute, values, timeZone, errors);
    if (value !== undefined) result[attribute.code] = value;
  }
  for (const [code, values] of answers) {
    if (values.length > 0) errors.push(bad(`attribute[${code}]: service ${service.service_code} has no such attribute`));
  }
  return result;
}

// ---- the request ----

/** Checks a POST requests body. Every problem is listed; codes: 403 api_key, 404 unknown
 * service_code / jurisdiction_id, 400 everything else. */
export function validateServiceRequest(body: Open311Body, options: ValidateOptions): Open311Result<NewServiceRequest> {
  const errors: Open311Error[] = [];

  const apiKey = scalar(body, 'api_key', errors);
  if (apiKey === undefined) errors.push({ code: 403, description: 'api_key: required; ask the city for a key' });

  const jurisdictionId = line(body, 'jurisdiction_id', OPEN311_LIMITS.idMaxChars, errors);
  if (jurisdictionId !== undefined && options.jurisdictionId !== undefined && jurisdictionId !== options.jurisdictionId) {
    errors.push({ code: 404, description: `jurisdiction_id ${describe(jurisdictionId)} not found; this endpoint serves ${options.jurisdictionId}` });
  }

  const serviceCode = scalar(body, 'service_code', errors);
  let service: CatalogueService | undefined;
  if (serviceCode === undefined) errors.push(bad('service_code: required; GET services lists them'));
  else {
    service = findService(options.catalogue, serviceCode);
    if (!service) errors.push({ code: 404, description: `service_code ${describe(serviceCode)} not found; GET services lists them` });
  }

  const location = readLocation(body, options.area, errors);
  const description = readDescription(body, errors);
  const reporter = readReporter(body, errors);
  const mediaUrl = readMediaUrl(body, errors);
  const attributes = readAttributes(body, service, options.timeZone, errors);

  if (errors.length > 0 || apiKey === undefined || !service) return { ok: false, errors };
  const district = location.position ? districtAt(location.position, options.area.districts) : undefined;
  return {
    ok: true,
    value: {
      apiKey,
      ...(jurisdictionId !== undefined ? { jurisdictionId } : {}),
      serviceCode: service.service_code,
      category: service.category,
      ...location,
      ...(district !== undefined ? { district } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(mediaUrl !== undefined ? { mediaUrl } : {}),
      attributes,
      reporter,
    },
  };
}
