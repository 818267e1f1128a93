// The citizen form's rules, pure: which field a server error is about, what a photo must be, how
// limits and distances read. No DOM, no fetch.
import { OPEN311_LIMITS, type ServiceAttribute } from '@city/shared/open311';

/** Types the server keeps (it reads the bytes; this is the early, friendly check). */
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** Where an error is shown: a form field, the attribute of that code, the photos, or the form as a whole. */
export type FieldKey = 'service_code' | 'location' | 'address_string' | 'description' | 'photo' | 'email' | 'phone' | 'first_name' | 'last_name' | `attribute[${string}]` | 'form';

export type FieldErrors = Partial<Record<FieldKey, string[]>>;

const LOCATION_PREFIXES = ['lat/long', 'lat and long', 'location', 'lat', 'long'];
const PLAIN_FIELDS: FieldKey[] = ['service_code', 'address_string', 'description', 'email', 'phone', 'first_name', 'last_name'];

/** The field a server error is about: its description starts with the field ("description: ...",
 * "attribute[size]: ...", "photo 2: ...", "lat/long ... is outside ..."); else the form. */
export function errorField(description: string): FieldKey {
  const attribute = /^attribute\[([^\]]+)\]/.exec(description);
  if (attribute) return `attribute[${attribute[1]}]`;
  const head = description.toLowerCase();
  const startsWith = (prefix: string) => head.startsWith(prefix) && !/[a-z_]/.test(head.charAt(prefix.length));
  if (LOCATION_PREFIXES.some(startsWith)) return 'location';
  if (startsWith('photo')) return 'photo';
  return PLAIN_FIELDS.find(startsWith) ?? 'form';
}

/** Server errors grouped by the field they are shown next to. */
export function groupErrors(errors: readonly { description: string }[]): FieldErrors {
  const grouped: FieldErrors = {};
  for (const { description } of errors) (grouped[errorField(description)] ??= []).push(description);
  return grouped;
}

/** Characters as the server counts them (code points: an emoji is one). */
export const charCount = (text: string): number => [...text].length;

/** 5 MB, 300 kB */
export const sizeText = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.max(1, Math.ceil(bytes / 1024))} kB`;

/** Why a chosen file cannot be sent, in plain words; undefined when it can. */
export function photoProblem(file: { name: string; type: string; size: number }, maxBytes: number): string | undefined {
  if (!(PHOTO_TYPES as readonly string[]).includes(file.type)) return `${file.name}: only JPEG, PNG or WebP photos can be sent`;
  if (file.size > maxBytes) return `${file.name}: ${sizeText(file.size)} is too large; each photo may be at most ${sizeText(maxBytes)}`;
  return undefined;
}

/** "about 40 m away" (the server rounds to 10 m) */
export const distanceText = (metres: number): string => (metres < 10 ? 'at the same spot' : `about ${metres} m away`);

export interface LatLon {
  lat: number;
  lon: number;
}

/** [west, south, east, north], edges included */
export const insideBounds = (p: LatLon, [w, s, e, n]: readonly [number, number, number, number]): boolean =>
  p.lon >= w && p.lon <= e && p.lat >= s && p.lat <= n;

const DEGREES = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

/** A typed coordinate: a number of degrees within ±limit, else undefined. */
export function parseDegrees(text: string, limit: number): number | undefined {
  if (!DEGREES.test(text)) return undefined;
  const value = Number(text);
  return Math.abs(value) <= limit ? value : undefined;
}

/** 6 decimals: about 10 cm, more than any phone knows */
export const degreesText = (value: number): string => value.toFixed(6);

export type AttributeAnswers = Record<string, string | string[]>;

export interface FormDraft {
  serviceCode: string | undefined;
  attributes: readonly ServiceAttribute[];
  answers: AttributeAnswers;
  position: LatLon | undefined;
  description: string;
}

/** What the form can tell before sending; the server checks everything again. */
export function checkDraft(draft: FormDraft, bounds: readonly [number, number, number, number]): FieldErrors {
  const errors: FieldErrors = {};
  if (!draft.serviceCode) errors.service_code = ['Choose what the problem is.'];
  if (!draft.position) errors.location = ['Place the pin where the problem is: tap the map, use your location or type the coordinates.'];
  else if (!insideBounds(draft.position, bounds)) errors.location = ['The pin is outside the area the city looks after.'];
  for (const a of draft.attributes) {
    if (!a.variable || !a.required) continue;
    const answer = draft.answers[a.code];
    const empty = answer === undefined || (Array.isArray(answer) ? answer.length === 0 : answer.trim() === '');
    if (empty) errors[`attribute[${a.code}]`] = ['Please answer this question.'];
  }
  const chars = charCount(draft.description);
  if (chars > OPEN311_LIMITS.descriptionMaxChars) {
    errors.description = [`The description is ${chars} characters long; at most ${OPEN311_LIMITS.descriptionMaxChars} fit.`];
  }
  return errors;
}

/** The order fields appear in, to move the focus to the first problem. */
export function firstErrorField(errors: FieldErrors, attributeCodes: readonly string[]): FieldKey | undefined {
  const order: FieldKey[] = ['service_code', ...attributeCodes.map((c) => `attribute[${c}]` as const), 'location', 'address_string', 'description', 'photo', 'email', 'phone', 'first_name', 'last_name', 'form'];
  return order.find((k) => (errors[k]?.length ?? 0) > 0) ?? (Object.keys(errors)[0] as FieldKey | undefined);
}

/** A report's time in the reader's own locale and zone: "28 Nov 2026, 09:30". */
export function localTime(w3c: string, locale?: string): string {
  const at = new Date(w3c);
  if (Number.isNaN(at.getTime())) return w3c;
  return at.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Broad groups of the rich statuses, for the colour of the badge. */
export type StatusTone = 'open' | 'working' | 'fixed' | 'closed';

export function statusTone(status: string): StatusTone {
  if (status === 'open') return 'open';
  if (status === 'investigating' || status === 'action_scheduled' || status === 'in_progress') return 'working';
  if (status === 'fixed') return 'fixed';
  return 'closed';
}
