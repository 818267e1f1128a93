// The server's own shapes for citizen reports: what validation hands the store, and what the store
// hands the formatters. camelCase, times in epoch ms; the wire shapes (snake_case, W3C times) are in
// @city/shared/open311.
import type { District } from '@city/shared/city';
import type { IncidentCategory } from '@city/shared/incidents';
import type { Open311Error, ReportStatus } from '@city/shared/open311';
import type { Position } from '@city/shared/reading';

/** Where requests are accepted: DEMO_CITY fits this shape. */
export interface ServiceArea {
  name: string;
  /** [west, south, east, north] in degrees, edges included */
  bounds: readonly [number, number, number, number];
  districts: District[];
}

/** An answer to a service attribute: text, a number, a list key, or several list keys. */
export type AttributeAnswer = string | number | string[];

/** Who sent the request. Private: never part of any public output. */
export interface Reporter {
  email?: string;
  /** digits, with a leading + when one was sent: "+13125550100" */
  phone?: string;
  firstName?: string;
  lastName?: string;
  deviceId?: string;
  accountId?: string;
}

/** A valid POST requests body. */
export interface NewServiceRequest {
  /** present (not yet checked: the caller compares it with the issued keys and answers 403) */
  apiKey: string;
  jurisdictionId?: string;
  serviceCode: string;
  /** from the catalogue: the incident category this report becomes */
  category: IncidentCategory;
  position?: Position;
  /** the district containing `position`, when inside one */
  district?: string;
  addressString?: string;
  addressId?: string;
  description?: string;
  mediaUrl?: string;
  /** by attribute code; only variable attributes of the service, only those answered. Datetimes are
   * W3C text with the city's offset. */
  attributes: Record<string, AttributeAnswer>;
  reporter: Reporter;
}

/** A stored request, as the formatters read it. */
export interface ServiceRequestRecord extends Omit<NewServiceRequest, 'apiKey'> {
  id: string;
  status: ReportStatus;
  /** why the status is what it is; public */
  statusNotes?: string;
  /** overrides the service's agency_responsible */
  agencyResponsible?: string;
  /** overrides the service's service_notice */
  serviceNotice?: string;
  zipcode?: string;
  /** epoch ms */
  requestedAt: number;
  /** epoch ms; for a closed request, when it was closed */
  updatedAt: number;
  /** epoch ms */
  expectedAt?: number;
}

/** A public update of a request (status change and/or a note), FixMyStreet's servicerequestupdates. */
export interface ServiceRequestUpdateRecord {
  id: string;
  serviceRequestId: string;
  /** the request's status after this update */
  status: ReportStatus;
  /** epoch ms */
  updatedAt: number;
  /** public text; the operator's internal notes do not belong here */
  description?: string;
  mediaUrl?: string;
}

export type Open311Result<T> = { ok: true; value: T } | { ok: false; errors: Open311Error[] };
