// The operations store's contract: one repository per entity, all asynchronous, so the SQLite
// implementation here and a PostgreSQL one later are interchangeable. The same contract suite
// (test/ops/contract.ts) runs against each.
import type {
  AuditEntry,
  EvidenceRecord,
  Incident,
  IncidentCategory,
  IncidentComment,
  IncidentStatus,
  LinkedItem,
  Operator,
  Role,
  ReportStatus,
  Severity,
} from '@city/shared';
import type { ImageType } from '../core/image-info.ts';
import type { NotificationRepository } from './notifications.ts';
import type { NewServiceRequest, ServiceRequestRecord, ServiceRequestUpdateRecord } from '../open311/model.ts';

// ---- users ----

export interface NewOperator {
  username: string;
  /** clear text, checked against the password policy, stored only as a scrypt hash */
  password: string;
  role: Role;
  /** defaults to the username */
  displayName?: string;
  evidenceAccess?: boolean;
}

export interface OperatorPatch {
  role?: Role;
  displayName?: string;
  evidenceAccess?: boolean;
  disabled?: boolean;
}

export interface UserRepository {
  /** Throws OpsValidationError (policy) or OpsConflictError (username taken). */
  create(input: NewOperator): Promise<Operator>;
  get(username: string): Promise<Operator | undefined>;
  /** by username */
  list(): Promise<Operator[]>;
  count(): Promise<number>;
  /** Throws OpsNotFoundError. */
  update(username: string, patch: OperatorPatch): Promise<Operator>;
  setRole(username: string, role: Role): Promise<Operator>;
  disable(username: string): Promise<Operator>;
  /** Throws OpsValidationError (policy) or OpsNotFoundError. */
  setPassword(username: string, password: string): Promise<void>;
  /**
   * The operator when the password matches and the account is enabled, else undefined. Unknown and
   * disabled users cost one scrypt run like everyone else, so timing does not tell them apart.
   */
  verify(username: string, password: string): Promise<Operator | undefined>;
}

// ---- sessions ----

export interface NewSession {
  /** 32 random bytes, base64url: the cookie value. Only its SHA-256 is stored. */
  id: string;
  /** synchronizer token the client sends back in X-CSRF-Token */
  csrfToken: string;
  expiresAt: number;
}

export interface Session {
  username: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  /** sliding: touch() moves expiresAt to now + ttlMs */
  ttlMs: number;
}

export interface SessionRepository {
  create(username: string, ttlMs: number, nowMs?: number): Promise<NewSession>;
  /** undefined when unknown or expired */
  get(id: string, nowMs?: number): Promise<Session | undefined>;
  /** Slides the expiry to now + ttl; the new expiry, or undefined when unknown or already expired. */
  touch(id: string, nowMs?: number): Promise<number | undefined>;
  delete(id: string): Promise<boolean>;
  /** every session of a user (logout everywhere, disable, password change); how many */
  deleteForUser(username: string): Promise<number>;
  purgeExpired(nowMs?: number): Promise<number>;
}

// ---- incidents ----

/** Optional fields of an incident that a patch may clear with null. */
type Clearable = 'deviceId' | 'deviceKind' | 'position' | 'district' | 'dedupeKey' | 'acknowledgedAt' | 'resolvedAt' | 'assignee' | 'dueAt';

/** Fields to change; absent or undefined = keep, null = clear (for optional fields). */
export type IncidentPatch = {
  [K in Exclude<keyof Incident, 'id' | 'openedAt'>]?: K extends Clearable ? Incident[K] | null : Incident[K];
};

export interface IncidentFilter {
  status?: IncidentStatus[];
  severity?: Severity[];
  category?: IncidentCategory;
  district?: string;
  /** changed at or after (updatedAt, epoch ms): "active plus closed in the last hour" */
  since?: number;
  /** default 500, at most 5000 */
  limit?: number;
}

export const INCIDENT_LIST_LIMIT = { default: 500, max: 5000 } as const;

export interface IncidentRepository {
  /**
   * Stores a new incident. Without an id it gets the next `INC-000123`. Throws OpsConflictError when
   * the id exists or an active incident already has the dedupe key.
   */
  create(incident: Omit<Incident, 'id'> & { id?: string }): Promise<Incident>;
  get(id: string): Promise<Incident | undefined>;
  findActiveByDedupeKey(dedupeKey: string): Promise<Incident | undefined>;
  /** most recently changed first */
  list(filter?: IncidentFilter): Promise<Incident[]>;
  /** open, acknowledged and in progress, in queue order (core/workflow compareQueue) */
  listActive(): Promise<Incident[]>;
  /** Throws OpsNotFoundError, or OpsConflictError when it would make a second active incident for a dedupe key. */
  update(id: string, patch: IncidentPatch): Promise<Incident>;
  /** Throws OpsNotFoundError for an unknown incident. */
  addComment(incidentId: string, author: string, text: string, atMs?: number): Promise<IncidentComment>;
  /** oldest first */
  comments(incidentId: string): Promise<IncidentComment[]>;
  /** Adds the items not linked yet (same type + id); returns the incident and what was added. */
  addLinks(id: string, items: LinkedItem[]): Promise<{ incident: Incident; added: LinkedItem[] }>;
}

// ---- audit ----

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actor?: string;
  action?: string;
  /** at >= since (epoch ms) */
  since?: number;
  /** at < until (epoch ms) */
  until?: number;
  /** only entries with a larger id: paging through an export */
  afterId?: number;
  /** default 'desc' (newest first); 'asc' for timelines and exports */
  order?: 'asc' | 'desc';
  /** default 200, at most 5000 */
  limit?: number;
}

export const AUDIT_LIST_LIMIT = { default: 200, max: 5000 } as const;

export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  list(filter?: AuditFilter): Promise<AuditEntry[]>;
  /** Every matching entry, oldest first, fetched a page at a time (ignores limit and order). */
  iterate(filter?: Omit<AuditFilter, 'limit' | 'order' | 'afterId'>, pageSize?: number): AsyncIterable<AuditEntry>;
}

// ---- rules ----

export interface RuleSet {
  /** 1 for the first saved set, +1 on every save */
  version: number;
  rules: unknown[];
  updatedAt: number;
  updatedBy: string;
}

export interface RuleRepository {
  getRuleSet(): Promise<RuleSet | undefined>;
  /**
   * Replaces the rule set when the stored version is `expectedVersion` (0 when none is stored yet);
   * otherwise throws RuleSetConflictError with the stored version.
   */
  saveRuleSet(rules: unknown[], by: string, expectedVersion: number, atMs?: number): Promise<RuleSet>;
}

// ---- evidence ----

export type NewEvidence = Omit<EvidenceRecord, 'hasSnapshot'>;

export interface EvidenceAccess {
  id: number;
  evidenceId: string;
  username: string;
  /** 'read', 'snapshot', 'export', 'delete', ... */
  action: string;
  at: number;
}

export interface EvidenceRepository {
  /** hasSnapshot is true when a JPEG is given. Throws OpsConflictError when the id exists. */
  add(record: NewEvidence, jpeg?: Buffer): Promise<EvidenceRecord>;
  get(id: string): Promise<EvidenceRecord | undefined>;
  /** newest observation first; default 500, at most 5000 */
  list(options?: { limit?: number }): Promise<EvidenceRecord[]>;
  snapshot(id: string): Promise<Buffer | undefined>;
  delete(id: string): Promise<boolean>;
  /** Deletes records whose expiresAt has passed; how many. The access log stays. */
  purgeExpired(nowMs?: number): Promise<number>;
  logAccess(evidenceId: string, username: string, action: string, atMs?: number): Promise<EvidenceAccess>;
  /** oldest first; every record's when no id is given */
  accessLog(evidenceId?: string): Promise<EvidenceAccess[]>;
}

// ---- citizen reports ----

/** How a report came in: an Open311 client with an api key, or the city's own web form. */
export const REPORT_SOURCES = ['open311', 'web'] as const;
export type ReportSource = (typeof REPORT_SOURCES)[number];

/** A stored report: the Open311 record (reporter included: private) plus what operators work with. */
export interface ReportRecord extends ServiceRequestRecord {
  source: ReportSource;
  /** open311: a fingerprint of the api key that sent it (never the key) */
  client?: string;
  /** closed as a duplicate of this report */
  duplicateOf?: string;
  /** epoch ms, while the status is a closed one */
  closedAt?: number;
  /** linked incidents, oldest link first */
  incidentIds: string[];
  /** photos in upload order */
  photoIds: string[];
}

export interface NewReport extends Omit<NewServiceRequest, 'apiKey'> {
  source: ReportSource;
  client?: string;
  /** epoch ms */
  requestedAt: number;
  expectedAt?: number;
}

/** Fields to change; absent = keep, null = clear. */
export interface ReportPatch {
  status?: ReportStatus;
  statusNotes?: string | null;
  expectedAt?: number | null;
  closedAt?: number | null;
  duplicateOf?: string | null;
  updatedAt?: number;
}

export interface ReportFilter {
  ids?: string[];
  serviceCodes?: string[];
  statuses?: ReportStatus[];
  /** requestedAt >= this, epoch ms */
  requestedFrom?: number;
  /** requestedAt <= this, epoch ms */
  requestedTo?: number;
  /** updatedAt >= this, epoch ms */
  updatedSince?: number;
  /** [west, south, east, north], degrees; reports without a position never match */
  bbox?: readonly [number, number, number, number];
  /** default 1000, at most 10000 */
  limit?: number;
  offset?: number;
}

export const REPORT_LIST_LIMIT = { default: 1000, max: 10_000 } as const;

/** What creating a report hands back: the receipt token exists only here (the store keeps its hash). */
export interface CreatedReport {
  report: ReportRecord;
  /** 16 random bytes, base64url: GET tokens/{token} */
  token: string;
}

export interface ReportUpdate extends ServiceRequestUpdateRecord {
  /** the operator; never published */
  author: string;
}

export type NewReportUpdate = Omit<ReportUpdate, 'id' | 'serviceRequestId'>;

export interface ReportUpdateFilter {
  reportId?: string;
  /** at >= from, epoch ms */
  from?: number;
  /** at <= to, epoch ms */
  to?: number;
  /** default 1000, at most 10000 */
  limit?: number;
  offset?: number;
}

/** An operators-only note. */
export interface ReportNote {
  id: number;
  reportId: string;
  author: string;
  text: string;
  at: number;
}

/** A photo to store: its metadata must already be stripped (core/image-metadata). */
export interface NewReportPhoto {
  contentType: ImageType;
  data: Buffer;
  width?: number;
  height?: number;
}

export interface ReportPhoto {
  /** random, 22 characters: the public URL names it */
  id: string;
  reportId: string;
  /** 0, 1, 2 in upload order */
  position: number;
  contentType: ImageType;
  bytes: number;
  width?: number;
  height?: number;
  createdAt: number;
}

export interface ReportRepository {
  /** Stores a new report with the next id ('1001', '1002', ...) and a fresh receipt token. */
  create(report: NewReport): Promise<CreatedReport>;
  get(id: string): Promise<ReportRecord | undefined>;
  /** the report id a receipt token belongs to */
  idForToken(token: string): Promise<string | undefined>;
  /** most recently requested first */
  list(filter?: ReportFilter): Promise<ReportRecord[]>;
  /** Throws OpsNotFoundError; OpsValidationError when duplicateOf names an unknown report. */
  update(id: string, patch: ReportPatch): Promise<ReportRecord>;
  /** A public update (status change and/or note). Throws OpsNotFoundError for an unknown report. */
  addUpdate(reportId: string, update: NewReportUpdate): Promise<ReportUpdate>;
  /** oldest first */
  updates(filter?: ReportUpdateFilter): Promise<ReportUpdate[]>;
  /** Throws OpsNotFoundError for an unknown report. */
  addNote(reportId: string, author: string, text: string, atMs?: number): Promise<ReportNote>;
  /** oldest first */
  notes(reportId: string): Promise<ReportNote[]>;
  /** Throws OpsNotFoundError for an unknown report. */
  addPhoto(reportId: string, photo: NewReportPhoto, atMs?: number): Promise<ReportPhoto>;
  /** in upload order, without the bytes */
  photos(reportId: string): Promise<ReportPhoto[]>;
  photoData(photoId: string): Promise<{ photo: ReportPhoto; data: Buffer } | undefined>;
  /** false when already linked. Throws OpsNotFoundError for an unknown report or incident. */
  linkIncident(reportId: string, incidentId: string, linkedBy: string, atMs?: number): Promise<boolean>;
}

// ---- the store ----

export interface OpsRepositories {
  users: UserRepository;
  sessions: SessionRepository;
  incidents: IncidentRepository;
  audit: AuditRepository;
  rules: RuleRepository;
  evidence: EvidenceRepository;
  reports: ReportRepository;
  /** the notifications outbox (notifications.ts) */
  notifications: NotificationRepository;
}

export interface OpsStore extends OpsRepositories {
  /** 'sqlite', later 'postgres' */
  readonly kind: string;
  /**
   * Runs `fn` in one transaction: everything it does through `tx` commits together or not at all
   * (a change and its audit row), and what it reads cannot change before it writes. Use `tx` inside
   * and keep it short (no network waits): other writers wait until it ends. Store calls made from
   * within `fn` join it; a transaction inside a transaction joins the outer one.
   */
  transaction<T>(fn: (tx: OpsRepositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
