// Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) as it travels on the wire: the shapes the
// Open311 server emits and the citizen web form reads. Field names are the spec's, snake_case, on
// purpose: the JSON body is exactly these objects and the XML body uses the same names, in this order.
//
// Rich statuses follow mySociety's FixMyStreet extension ("Open311 FMS - Proposed differences to
// Open311", servicerequestupdates + additional states). Declared once here.

/** `datatype` of a service attribute (GET services/{code}). */
export const ATTRIBUTE_DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'] as const;
export type AttributeDatatype = (typeof ATTRIBUTE_DATATYPES)[number];
export const isListDatatype = (d: AttributeDatatype) => d === 'singlevaluelist' || d === 'multivaluelist';

/** realtime: the id comes back at once; batch: a token first; blackbox: no id at all. */
export const SERVICE_TYPES = ['realtime', 'batch', 'blackbox'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** One entry of GET services: `<services><service>` */
export interface Service {
  service_code: string;
  service_name: string;
  description: string;
  /** true: the service has attributes, fetch GET services/{code} before posting */
  metadata: boolean;
  type: ServiceType;
  /** comma separated: "pothole, hole, road" */
  keywords: string;
  group: string;
}

export interface AttributeValue {
  /** what the client posts: attribute[code]=key */
  key: string;
  /** what a person reads */
  name: string;
}

/** `<attribute>` of a service definition, fields in the spec's order. */
export interface ServiceAttribute {
  /** false: informational text only, nothing to fill in */
  variable: boolean;
  code: string;
  datatype: AttributeDatatype;
  required: boolean;
  datatype_description: string | null;
  /** 1 is shown first */
  order: number;
  description: string;
  /** the choices of a singlevaluelist / multivaluelist; empty otherwise */
  values: AttributeValue[];
}

/** GET services/{code}: `<service_definition>` */
export interface ServiceDefinition {
  service_code: string;
  attributes: ServiceAttribute[];
}

// ---- statuses ----

/** The two statuses GeoReport v2 knows. */
export const OPEN311_STATUSES = ['open', 'closed'] as const;
export type Open311Status = (typeof OPEN311_STATUSES)[number];

/**
 * The rich status of a citizen report: FixMyStreet's extended states. On the wire they are upper
 * case with underscores (IN_PROGRESS, NOT_COUNCILS_RESPONSIBILITY), as in the FixMyStreet docs and
 * tests; FixMyStreet reads them case-insensitively.
 *
 * open -> investigating -> action_scheduled -> in_progress -> fixed, or closed for another reason:
 * duplicate, not_councils_responsibility (another body's job), no_further_action, internal_referral
 * (passed to another team, out of this system), closed (generic). A closed report may be reopened.
 */
export const REPORT_STATUSES = [
  'open',
  'investigating',
  'action_scheduled',
  'in_progress',
  'fixed',
  'duplicate',
  'not_councils_responsibility',
  'no_further_action',
  'internal_referral',
  'closed',
] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
/** The wire form of a rich status: 'IN_PROGRESS'. */
export type FmsStatus = Uppercase<ReportStatus>;

/** Rich status -> what a plain GeoReport v2 client sees. */
export const REPORT_STATUS_OPEN311: Readonly<Record<ReportStatus, Open311Status>> = {
  open: 'open',
  investigating: 'open',
  action_scheduled: 'open',
  in_progress: 'open',
  fixed: 'closed',
  duplicate: 'closed',
  not_councils_responsibility: 'closed',
  no_further_action: 'closed',
  internal_referral: 'closed',
  closed: 'closed',
};

/** What the web form and the tracking page show. */
export const REPORT_STATUS_LABELS: Readonly<Record<ReportStatus, string>> = {
  open: 'Open',
  investigating: 'Investigating',
  action_scheduled: 'Action scheduled',
  in_progress: 'In progress',
  fixed: 'Fixed',
  duplicate: 'Duplicate',
  not_councils_responsibility: "Not the city's responsibility",
  no_further_action: 'No further action',
  internal_referral: 'Referred internally',
  closed: 'Closed',
};

// ---- service requests ----

/**
 * GET requests / requests/{id}: one `<request>`, fields in the spec's order. Absent values are null
 * (JSON) or an empty element (XML). The reporter's name, email and phone are never part of it.
 */
export interface ServiceRequest {
  service_request_id: string;
  status: Open311Status;
  status_notes: string | null;
  service_name: string | null;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  /** W3C date-time with offset: 2026-11-28T09:30:00-06:00 */
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
  /** only with `extensions=true` (GeoReport v2 Extensions, "Extended Attributes") */
  extended_attributes?: ServiceRequestExtendedAttributes;
}

export interface ServiceRequestExtendedAttributes {
  /** the rich status behind `status` */
  status: FmsStatus;
  /** the district id the location falls in, null when unknown */
  district: string | null;
}

/** POST requests: one `<request>` of the response. */
export interface ServiceRequestCreated {
  service_request_id: string;
  service_notice: string | null;
  account_id: string | null;
}

/** GET tokens/{token}: one `<request>`. */
export interface ServiceRequestToken {
  service_request_id: string;
  token: string;
}

/** GET servicerequestupdates (FixMyStreet): one `<request_update>`, fields in the documented order. */
export interface ServiceRequestUpdate {
  update_id: string;
  service_request_id: string;
  /** the rich status after the update */
  status: FmsStatus;
  updated_datetime: string;
  /** public text of the update; "" when none (FixMyStreet's schema wants a string) */
  description: string;
  /** "" when none */
  media_url: string;
}

/** `<errors><error>`: code is the HTTP status (400, 403, 404), description is shown to the user. */
export interface Open311Error {
  code: number;
  description: string;
}

/** Limits the server enforces on POST requests; the web form uses them for maxlength. */
export const OPEN311_LIMITS = {
  /** the spec: "free form text limited to 4,000 characters" (Unicode characters, not UTF-16 units) */
  descriptionMaxChars: 4000,
  nameMaxChars: 100,
  /** RFC 5321 path limit */
  emailMaxChars: 254,
  addressMaxChars: 500,
  /** address_id, device_id, account_id */
  idMaxChars: 100,
  mediaUrlMaxChars: 2048,
  /** datatype string (one line) */
  attributeStringMaxChars: 500,
  /** datatype text (may hold line breaks) */
  attributeTextMaxChars: 4000,
  /** phone numbers: digits after removing spaces, dashes, dots and brackets (E.164 allows at most 15) */
  phoneMinDigits: 7,
  phoneMaxDigits: 15,
  /** the phone field as typed, spaces and punctuation included */
  phoneMaxChars: 40,
} as const;
