// The service catalogue: which kinds of problem citizens may report, the questions each asks, and
// which incident category each becomes. Data, not code: the demo city's catalogue is
// default-catalogue.json; a city replaces it with its own file, checked by `catalogueFileSchema`.
// Pure: reading the file is the caller's job.
import { z } from 'zod';
import { INCIDENT_CATEGORIES } from '@city/shared/incidents';
import { describe, formatIssues, PARSE_OPTIONS } from '@city/shared/decoders/common';
import {
  ATTRIBUTE_DATATYPES,
  SERVICE_TYPES,
  isListDatatype,
  type Service,
  type ServiceAttribute,
  type ServiceDefinition,
} from '@city/shared/open311';
import defaultCatalogueFile from './default-catalogue.json' with { type: 'json' };

/** Cross-field checks run even when a field is already invalid, so a file's every problem is listed
 * at once; they read each field defensively. */
const ALWAYS = { when: () => true };

/** Codes appear in URLs (services/{code}.json) and as attribute[code] keys: keep them plain. */
const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const attributeValueSchema = z.strictObject({
  key: z.string().regex(CODE_PATTERN, 'expected 1-64 letters, digits, _ . -'),
  name: z.string().min(1).max(200),
});

const attributeSchema = z
  .strictObject({
    /** false: informational text shown with the form, nothing to answer */
    variable: z.boolean().default(true),
    code: z.string().regex(CODE_PATTERN, 'expected 1-64 letters, digits, _ . -'),
    datatype: z.enum(ATTRIBUTE_DATATYPES),
    required: z.boolean().default(false),
    datatype_description: z.string().max(500).nullable().default(null),
    /** the spec: any positive integer not used by another attribute of the service */
    order: z.number().int().positive(),
    description: z.string().min(1).max(1000),
    values: z.array(attributeValueSchema).default([]),
    /** number attributes only: inclusive bounds the server enforces (not part of the spec's output) */
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((a, ctx) => {
    // runs on a partly invalid attribute too (see ALWAYS): every field may be missing
    const values = Array.isArray(a.values) ? a.values : [];
    const known = (ATTRIBUTE_DATATYPES as readonly unknown[]).includes(a.datatype);
    const list = known && isListDatatype(a.datatype);
    if (known && list && values.length === 0) ctx.addIssue({ code: 'custom', path: ['values'], message: `a ${a.datatype} needs at least one value` });
    if (known && !list && values.length > 0) ctx.addIssue({ code: 'custom', path: ['values'], message: `only list datatypes take values (this is ${a.datatype})` });
    for (const key of duplicates(values.map((v) => v?.key))) ctx.addIssue({ code: 'custom', path: ['values'], message: `value key ${JSON.stringify(key)} is used twice` });
    if ((a.min !== undefined || a.max !== undefined) && known && a.datatype !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min and max apply to number attributes only (this is ${a.datatype})` });
    }
    if (typeof a.min === 'number' && typeof a.max === 'number' && a.min > a.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `max ${a.max} is below min ${a.min}` });
    if (a.required === true && a.variable === false) ctx.addIssue({ code: 'custom', path: ['required'], message: 'an attribute with variable false cannot be required' });
  }, ALWAYS);

const serviceSchema = z
  .strictObject({
    service_code: z.string().regex(CODE_PATTERN, 'expected 1-64 letters, digits, _ . -'),
    service_name: z.string().min(1).max(200),
    description: z.string().min(1).max(1000),
    type: z.enum(SERVICE_TYPES).default('realtime'),
    /** synonyms to help people find the service; sent comma separated */
    keywords: z.array(z.string().min(1).max(50).regex(/^[^,]+$/, 'expected no commas')).default([]),
    group: z.string().min(1).max(100),
    /** the incident category a report of this service becomes in the operations centre */
    category: z.enum(INCIDENT_CATEGORIES),
    agency_responsible: z.string().min(1).max(200).optional(),
    /** what happens next, returned when a request is created */
    service_notice: z.string().min(1).max(1000).optional(),
    /** service level: expected_datetime = requested + this many hours */
    expected_hours: z.number().positive().max(24 * 365).optional(),
    attributes: z.array(attributeSchema).default([]),
  })
  .superRefine((s, ctx) => {
    const attributes = Array.isArray(s.attributes) ? s.attributes : [];
    for (const code of duplicates(attributes.map((a) => a?.code))) {
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: `attribute code ${JSON.stringify(code)} is used twice` });
    }
    for (const order of duplicates(attributes.map((a) => a?.order))) {
      ctx.addIssue({ code: 'custom', path: ['attributes'], message: `order ${order} is used twice` });
    }
  }, ALWAYS);

/** A catalogue file: `{ "services": [ ... ] }`. */
export const catalogueFileSchema = z
  .strictObject({
    services: z.array(serviceSchema).min(1),
  })
  .superRefine((c, ctx) => {
    const services = Array.isArray(c.services) ? c.services : [];
    for (const code of duplicates(services.map((s) => s?.service_code))) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: `service_code ${JSON.stringify(code)} is used twice` });
    }
  }, ALWAYS);

export type CatalogueFile = z.input<typeof catalogueFileSchema>;
export type CatalogueAttribute = z.output<typeof attributeSchema>;
export type CatalogueService = z.output<typeof serviceSchema>;
export interface Catalogue {
  services: CatalogueService[];
}

/** Duplicated values, ignoring missing ones (those are reported as missing). */
function duplicates<T>(items: readonly T[]): NonNullable<T>[] {
  const seen = new Set<T>();
  const twice = new Set<NonNullable<T>>();
  for (const item of items) {
    if (item === undefined || item === null) continue;
    if (seen.has(item)) twice.add(item);
    else seen.add(item);
  }
  return [...twice];
}

export type CatalogueResult = { ok: true; catalogue: Catalogue } | { ok: false; errors: string[] };

/** "services.0.group: required"; a pattern failure says which pattern in words. */
function issueLine(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_format' && issue.format === 'regex') {
    const path = issue.path.map(String).join('.');
    return `${path}: ${issue.message} (got ${describe(issue.input)})`;
  }
  return formatIssues([issue]);
}

/** Checks a parsed catalogue file; on failure lists every problem as "services.0.group: required". */
export function parseCatalogue(input: unknown): CatalogueResult {
  const result = catalogueFileSchema.safeParse(input, PARSE_OPTIONS);
  if (result.success) return { ok: true, catalogue: result.data };
  return { ok: false, errors: result.error.issues.map(issueLine) };
}

/** The demo city's eight services, checked. Throws with every problem if the shipped file is broken. */
export function defaultCatalogue(): Catalogue {
  const result = parseCatalogue(defaultCatalogueFile);
  if (!result.ok) throw new Error(`default-catalogue.json is invalid:\n  ${result.errors.join('\n  ')}`);
  return result.catalogue;
}

export function findService(catalogue: Catalogue, serviceCode: string): CatalogueService | undefined {
  return catalogue.services.find((s) => s.service_code === serviceCode);
}

/** GET services: the list entry of each service. `metadata` is true when the service has attributes. */
export function toServiceList(catalogue: Catalogue): Service[] {
  return catalogue.services.map((s) => ({
    service_code: s.service_code,
    service_name: s.service_name,
    description: s.description,
    metadata: s.attributes.length > 0,
    type: s.type,
    keywords: s.keywords.join(', '),
    group: s.group,
  }));
}

/** GET services/{code}: attributes in their `order`, spec fields only. */
export function toServiceDefinition(service: CatalogueService): ServiceDefinition {
  return {
    service_code: service.service_code,
    attributes: [...service.attributes]
      .sort((a, b) => a.order - b.order)
      .map(
        (a): ServiceAttribute => ({
          variable: a.variable,
          code: a.code,
          datatype: a.datatype,
          required: a.required,
          datatype_description: a.datatype_description,
          order: a.order,
          description: a.description,
          values: a.values.map((v) => ({ key: v.key, name: v.name })),
        }),
      ),
  };
}

/** expected_datetime for a request made at `requestedAt` (epoch ms), when the service sets one. */
export function expectedAtFor(service: CatalogueService, requestedAt: number): number | undefined {
  return service.expected_hours === undefined ? undefined : requestedAt + service.expected_hours * 3_600_000;
}
