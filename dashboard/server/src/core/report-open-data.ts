// Citizen reports as open data: GeoJSON (a map layer anyone can load) and CSV (a spreadsheet). Pure.
// Each row is built field by field: no reporter contact, no address text, coordinates rounded to
// `coordDecimals`. The description is published as the citizen wrote it (they were told it is public).
import { REPORT_STATUS_LABELS } from '@city/shared/open311';
import { findService, formatW3cDateTime, toOpen311Status, type Catalogue } from '../open311/index.ts';
import type { ReportRecord } from '../ops/index.ts';
import { csvField } from './incident-export.ts';
import { roundCoordinate } from './report-views.ts';

export interface OpenDataContext {
  catalogue: Catalogue;
  timeZone: string;
  coordDecimals: number;
  /** SPDX id: 'CC-BY-4.0' */
  license: string;
  licenseUrl: string;
  attribution: string;
  /** epoch ms: when the export was made */
  generatedAt: number;
}

export const OPEN_DATA_COLUMNS = [
  'service_request_id',
  'service_code',
  'service_name',
  'status',
  'status_label',
  'open311_status',
  'description',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'closed_datetime',
  'lat',
  'long',
  'district',
  'duplicate_of',
] as const;

type OpenDataRow = Record<(typeof OPEN_DATA_COLUMNS)[number], string | number | null>;

function toRow(r: ReportRecord, ctx: OpenDataContext): OpenDataRow {
  const time = (ms: number | undefined) => (ms === undefined ? null : formatW3cDateTime(ms, ctx.timeZone));
  return {
    service_request_id: r.id,
    service_code: r.serviceCode,
    service_name: findService(ctx.catalogue, r.serviceCode)?.service_name ?? null,
    status: r.status,
    status_label: REPORT_STATUS_LABELS[r.status],
    open311_status: toOpen311Status(r.status),
    description: r.description ?? null,
    requested_datetime: time(r.requestedAt),
    updated_datetime: time(r.updatedAt),
    expected_datetime: time(r.expectedAt),
    closed_datetime: time(r.closedAt),
    lat: r.position ? roundCoordinate(r.position.lat, ctx.coordDecimals) : null,
    long: r.position ? roundCoordinate(r.position.lon, ctx.coordDecimals) : null,
    district: r.district ?? null,
    duplicate_of: r.duplicateOf ?? null,
  };
}

export interface ReportFeatureCollection {
  type: 'FeatureCollection';
  /** foreign members (RFC 7946 section 6.1): the terms of reuse travel with the file */
  license: string;
  license_url: string;
  attribution: string;
  generated_datetime: string;
  features: {
    type: 'Feature';
    id: string;
    geometry: { type: 'Point'; coordinates: [number, number] } | null;
    properties: OpenDataRow;
  }[];
}

/** Reports without a position keep a null geometry (GeoJSON allows it) so none go missing. */
export function reportsToGeoJson(reports: readonly ReportRecord[], ctx: OpenDataContext): ReportFeatureCollection {
  return {
    type: 'FeatureCollection',
    license: ctx.license,
    license_url: ctx.licenseUrl,
    attribution: ctx.attribution,
    generated_datetime: formatW3cDateTime(ctx.generatedAt, ctx.timeZone),
    features: reports.map((r) => {
      const properties = toRow(r, ctx);
      const { lat, long } = properties;
      return {
        type: 'Feature',
        id: r.id,
        geometry: typeof lat === 'number' && typeof long === 'number' ? { type: 'Point', coordinates: [long, lat] } : null,
        properties,
      };
    }),
  };
}

/** RFC 4180 with a header line, CRLF line ends. The licence goes in a Link header (CSV has no place for it). */
export function reportsToCsv(reports: readonly ReportRecord[], ctx: OpenDataContext): string {
  const rows = reports.map((r) => {
    const row = toRow(r, ctx);
    return OPEN_DATA_COLUMNS.map((c) => csvField(row[c] ?? undefined)).join(',');
  });
  return [OPEN_DATA_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
