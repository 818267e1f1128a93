// Every change to a citizen report goes through here: the check, the change, its public update row
// (what GET servicerequestupdates and the status page show) and its audit row in one store
// transaction, then one change event. The Open311 API, the city's web form and operators all use
// the same methods.
//
// Privacy: audit rows name which contact fields a reporter gave, never their values, and hold an
// internal note's id rather than its text (viewers read the timeline; only operators read notes).
import {
  REPORT_STATUSES,
  REPORT_STATUS_LABELS,
  type AuditEntry,
  type Logger,
  type Position,
  type ReportStatus,
} from '@city/shared';
import { ImageFormatError, stripImageMetadata } from '../core/image-metadata.ts';
import { inspectImage } from '../core/image-info.ts';
import { haversineM } from '../core/rules/fusion.ts';
import { WorkflowError } from '../core/workflow.ts';
import { expectedAtFor, findService, isClosedStatus, type Catalogue, type NewServiceRequest } from '../open311/index.ts';
import { changedFields } from './audit.ts';
import { ChangeListeners, inServiceTransaction } from './service-support.ts';
import type { IncidentService } from './incident-service.ts';
import type {
  CreatedReport,
  NewReportPhoto,
  OpsRepositories,
  OpsStore,
  ReportNote,
  ReportPatch,
  ReportPhoto,
  ReportRecord,
  ReportSource,
  ReportUpdate,
} from './repositories.ts';

export type ReportChange = 'created' | 'updated';
/** `action` is the audit action ('report.status', 'report.internal-note', ...): a listener that mails
 * the reporter can skip what the public does not see. */
export type ReportListener = (report: ReportRecord, change: ReportChange, action: string) => void;

export const NOTE_MAX_LENGTH = 4000;
/** how many entries a detail's timeline shows at most */
const TIMELINE_MAX_ENTRIES = 5000;
/** a duplicate chain longer than this is not followed (the store never makes one: marks point at the root) */
const MAX_DUPLICATE_DEPTH = 50;

export interface ReportServiceContext {
  store: OpsStore;
  /** links go both ways: the incident lists the report too, through its own service (audit, live push) */
  incidents: IncidentService;
  /** service names, categories and service levels (expected_datetime) */
  catalogue: Catalogue;
  logger: Logger;
  /** epoch ms; Date.now by default */
  now?: () => number;
}

export interface ReportOrigin {
  source: ReportSource;
  /** open311: a fingerprint of the api key */
  client?: string;
}

export interface SuggestOptions {
  /** default 100 m */
  radiusM?: number;
  /** reports made within this long before now, default 7 days, ms */
  windowMs?: number;
  /** default 10 */
  limit?: number;
  /** leave this report out (the one being looked at) */
  excludeId?: string;
}

export interface DuplicateSuggestion {
  report: ReportRecord;
  /** rounded to the metre */
  distanceM: number;
}

export interface ReportDetail {
  report: ReportRecord;
  updates: ReportUpdate[];
  notes: ReportNote[];
  photos: ReportPhoto[];
  /** the audit trail of this report, oldest first */
  timeline: AuditEntry[];
}

/** What one change does: the patch, the public update it publishes, what the audit row adds. */
interface Decision {
  patch?: ReportPatch;
  /** a public update row: the status after the change, and its text */
  publish?: { description?: string };
  note?: Record<string, unknown>;
  /** false: nothing public changed, updatedAt stays (internal notes, links) */
  touch?: boolean;
}

const SUGGEST_DEFAULTS = { radiusM: 100, windowMs: 7 * 86_400_000, limit: 10 } as const;
const OPEN_STATUSES = REPORT_STATUSES.filter((s) => !isClosedStatus(s));
const METRES_PER_DEGREE_LAT = 111_320;

function checkText(what: string, text: unknown, max = NOTE_MAX_LENGTH): string {
  if (typeof text !== 'string') throw WorkflowError.badRequest(`${what}: expected text`);
  const trimmed = text.trim().replace(/\r\n?/g, '\n');
  if (trimmed.length === 0 || trimmed.length > max) throw WorkflowError.badRequest(`${what}: expected 1-${max} characters (got ${trimmed.length})`);
  return trimmed;
}

/** A photo as stored: the type from its bytes, its metadata gone, its size from the header. */
export function preparePhoto(data: Buffer, index: number): NewReportPhoto {
  const what = `photo ${index + 1}`;
  if (!inspectImage(data)) throw WorkflowError.badRequest(`${what}: not a JPEG, PNG or WebP image`);
  let clean: Buffer;
  try {
    clean = stripImageMetadata(data);
  } catch (err) {
    if (err instanceof ImageFormatError) throw WorkflowError.badRequest(`${what}: ${err.message}`);
    throw err;
  }
  const info = inspectImage(clean)!;
  return {
    contentType: info.type,
    data: clean,
    ...(info.width !== undefined ? { width: info.width } : {}),
    ...(info.height !== undefined ? { height: info.height } : {}),
  };
}

export class ReportService {
  private readonly store: OpsStore;
  private readonly incidents: IncidentService;
  private readonly catalogue: Catalogue;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly listeners: ChangeListeners<Parameters<ReportListener>>;

  constructor(ctx: ReportServiceContext) {
    this.store = ctx.store;
    this.incidents = ctx.incidents;
    this.catalogue = ctx.catalogue;
    this.logger = ctx.logger;
    this.now = ctx.now ?? Date.now;
    this.listeners = new ChangeListeners(ctx.logger, 'report');
  }

  /** Called after each committed change; returns the unsubscribe function. A throwing listener is logged, the rest still run. */
  onChange(listener: ReportListener): () => void {
    return this.listeners.add(listener);
  }

  private emit(report: ReportRecord, change: ReportChange, action: string): void {
    this.listeners.emit({ reportId: report.id, change }, report, change, action);
  }

  /** Runs fn in a transaction; store errors become WorkflowErrors with the same status. */
  private inTransaction<T>(fn: (tx: OpsRepositories) => Promise<T>): Promise<T> {
    return inServiceTransaction(this.store, fn);
  }

  private static async mustGet(tx: OpsRepositories, id: string): Promise<ReportRecord> {
    const report = await tx.reports.get(id);
    if (!report) throw WorkflowError.notFound(`report ${id} not found`);
    return report;
  }

  /**
   * The common shape of a change: read, decide (may throw), write the patch (with updatedAt unless
   * the decision says the public saw nothing), publish the update row, append the audit row with the
   * changed fields and the decision's note. A decision of undefined writes and emits nothing.
   */
  private async change(
    id: string,
    actor: string,
    action: string,
    decide: (current: ReportRecord, nowMs: number, tx: OpsRepositories) => Promise<Decision | undefined> | Decision | undefined,
    after?: (report: ReportRecord, tx: OpsRepositories) => Promise<void>,
  ): Promise<ReportRecord> {
    const nowMs = this.now();
    const result = await this.inTransaction(async (tx) => {
      const current = await ReportService.mustGet(tx, id);
      const decision = await decide(current, nowMs, tx);
      if (!decision) return { report: current, changed: false };
      const touch = decision.touch ?? true;
      const next = await tx.reports.update(current.id, { ...decision.patch, ...(touch ? { updatedAt: nowMs } : {}) });
      const note: Record<string, unknown> = { ...decision.note };
      if (decision.publish) {
        const update = await tx.reports.addUpdate(current.id, {
          status: next.status,
          updatedAt: nowMs,
          author: actor,
          ...(decision.publish.description !== undefined ? { description: decision.publish.description } : {}),
        });
        note.updateId = update.id;
      }
      const diff = changedFields(current, next, ['updatedAt']);
      await tx.audit.append({ at: nowMs, actor, action, entityType: 'report', entityId: current.id, before: diff.before, after: { ...diff.after, ...note } });
      // last: whatever it emits goes out with nothing left to fail but the commit
      await after?.(next, tx);
      return { report: next, changed: true };
    });
    if (result.changed) this.emit(result.report, 'updated', action);
    return result.report;
  }

  /**
   * A new report from a validated request. Photos are checked by their bytes and stripped of their
   * metadata before the transaction; an image that is not JPEG, PNG or WebP, or cannot be walked,
   * refuses the whole report (400) and nothing is stored.
   */
  async create(request: Omit<NewServiceRequest, 'apiKey'> & { apiKey?: string }, photos: readonly Buffer[], actor: string, origin: ReportOrigin): Promise<CreatedReport> {
    const service = findService(this.catalogue, request.serviceCode);
    if (!service) throw WorkflowError.notFound(`service_code ${JSON.stringify(request.serviceCode)} not found`);
    const prepared = photos.map((data, i) => preparePhoto(data, i));
    const nowMs = this.now();
    const expectedAt = expectedAtFor(service, nowMs);
    const { apiKey: _apiKey, ...fields } = request;
    const created = await this.inTransaction(async (tx) => {
      const { report, token } = await tx.reports.create({
        ...fields,
        category: service.category,
        source: origin.source,
        ...(origin.client !== undefined ? { client: origin.client } : {}),
        requestedAt: nowMs,
        ...(expectedAt !== undefined ? { expectedAt } : {}),
      });
      for (const photo of prepared) await tx.reports.addPhoto(report.id, photo, nowMs);
      await tx.audit.append({
        at: nowMs,
        actor,
        action: 'report.create',
        entityType: 'report',
        entityId: report.id,
        after: {
          serviceCode: report.serviceCode,
          category: report.category,
          status: report.status,
          source: report.source,
          ...(report.client !== undefined ? { client: report.client } : {}),
          ...(report.position ? { position: report.position } : {}),
          ...(report.district !== undefined ? { district: report.district } : {}),
          photos: prepared.length,
          // which contact fields were given, never their values
          contact: Object.keys(report.reporter).sort(),
        },
      });
      return { report: prepared.length ? await ReportService.mustGet(tx, report.id) : report, token };
    });
    this.emit(created.report, 'created', 'report.create');
    return created;
  }

  /**
   * Moves a report to a status, with an optional public note (kept as status_notes and published
   * with the update; a change without a note clears status_notes, which would no longer explain it).
   * 'duplicate' needs the original: use markDuplicate. The same status without a note changes
   * nothing; with a note it publishes the note. Reopening a duplicate drops its duplicateOf.
   */
  async setStatus(id: string, status: ReportStatus, publicNote: string | undefined, actor: string): Promise<ReportRecord> {
    if (!(REPORT_STATUSES as readonly string[]).includes(status)) {
      throw WorkflowError.badRequest(`status: expected one of ${REPORT_STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
    }
    if (status === 'duplicate') throw WorkflowError.badRequest('status duplicate: mark it a duplicate of the original report instead (POST .../duplicate {of})');
    const note = publicNote === undefined || publicNote.trim() === '' ? undefined : checkText('note', publicNote);
    return this.change(id, actor, 'report.status', (current, nowMs) => {
      if (current.status === status && note === undefined) return undefined;
      const closing = isClosedStatus(status);
      return {
        patch: {
          status,
          statusNotes: note ?? null,
          closedAt: closing ? (isClosedStatus(current.status) ? (current.closedAt ?? nowMs) : nowMs) : null,
          ...(current.duplicateOf !== undefined ? { duplicateOf: null } : {}),
        },
        publish: note !== undefined ? { description: note } : {},
      };
    });
  }

  /** A public note: published as an update with the current status; the status does not change. */
  async addPublicNote(id: string, text: string, actor: string): Promise<ReportRecord> {
    const body = checkText('note', text);
    return this.change(id, actor, 'report.note', () => ({ publish: { description: body }, note: { text: body } }));
  }

  /** A note only operators read. Not public: updatedAt stays. */
  async addInternalNote(id: string, text: string, actor: string): Promise<ReportRecord> {
    const body = checkText('note', text);
    return this.change(id, actor, 'report.internal-note', async (current, nowMs, tx) => {
      const note = await tx.reports.addNote(current.id, actor, body, nowMs);
      return { touch: false, note: { noteId: note.id } };
    });
  }

  /** When the city expects to have dealt with it (epoch ms), or null for no estimate. */
  async setExpectedAt(id: string, expectedAt: number | null, actor: string): Promise<ReportRecord> {
    if (expectedAt !== null && !Number.isFinite(expectedAt)) throw WorkflowError.badRequest('expectedAt: expected a time or null');
    return this.change(id, actor, 'report.expected', (current) => {
      if ((current.expectedAt ?? null) === expectedAt) return undefined;
      return { patch: { expectedAt } };
    });
  }

  /**
   * Closes a report as a duplicate of another, pointing at the original's original when that is a
   * duplicate too (so chains never form), with a public note naming it. 400 for itself or an unknown
   * report; 409 when the original is itself a duplicate of this one.
   */
  async markDuplicate(id: string, ofId: string, actor: string): Promise<ReportRecord> {
    if (id === ofId) throw WorkflowError.badRequest(`report ${id} cannot be a duplicate of itself`);
    return this.change(id, actor, 'report.duplicate', async (current, nowMs, tx) => {
      let original = await tx.reports.get(ofId);
      if (!original) throw WorkflowError.badRequest(`of: report ${ofId} not found`);
      for (let depth = 0; original.duplicateOf !== undefined && depth < MAX_DUPLICATE_DEPTH; depth++) {
        original = await ReportService.mustGet(tx, original.duplicateOf);
      }
      if (original.id === current.id) throw WorkflowError.conflict(`report ${ofId} is already a duplicate of report ${id}`);
      if (current.status === 'duplicate' && current.duplicateOf === original.id) return undefined;
      const text = `Already reported as report ${original.id}: follow that report for updates.`;
      return {
        patch: {
          status: 'duplicate',
          duplicateOf: original.id,
          statusNotes: text,
          closedAt: isClosedStatus(current.status) ? (current.closedAt ?? nowMs) : nowMs,
        },
        publish: { description: text },
        note: { of: original.id },
      };
    });
  }

  /**
   * Links the report to an incident, both ways: the incident lists the report through IncidentService
   * (its own audit row and live push) in the same transaction. Not public: updatedAt stays. 404 for an
   * unknown report or incident; linking twice changes nothing.
   */
  async linkIncident(id: string, incidentId: string, actor: string): Promise<ReportRecord> {
    let linked = false;
    return this.change(
      id,
      actor,
      'report.link',
      async (current, nowMs, tx) => {
        linked = await tx.reports.linkIncident(current.id, incidentId, actor, nowMs);
        return linked ? { touch: false, note: { incidentId } } : undefined;
      },
      async (report) => {
        if (!linked) return;
        const name = findService(this.catalogue, report.serviceCode)?.service_name ?? report.serviceCode;
        const summary = `Citizen report ${report.id}: ${name} (${REPORT_STATUS_LABELS[report.status]})`;
        await this.incidents.link(incidentId, [{ type: 'report', id: report.id, summary }], actor);
      },
    );
  }

  /**
   * "Already reported?": open reports of the same service within radiusM of a position, made within
   * windowMs, nearest first (then newest).
   */
  async suggestDuplicates(serviceCode: string, position: Position, options: SuggestOptions = {}): Promise<DuplicateSuggestion[]> {
    const radiusM = options.radiusM ?? SUGGEST_DEFAULTS.radiusM;
    const windowMs = options.windowMs ?? SUGGEST_DEFAULTS.windowMs;
    const limit = options.limit ?? SUGGEST_DEFAULTS.limit;
    // a box around the circle narrows the query; the distance check below is exact
    const dLat = radiusM / METRES_PER_DEGREE_LAT;
    const dLon = radiusM / (METRES_PER_DEGREE_LAT * Math.max(0.01, Math.cos((position.lat * Math.PI) / 180)));
    const candidates = await this.store.reports.list({
      serviceCodes: [serviceCode],
      statuses: OPEN_STATUSES,
      requestedFrom: this.now() - windowMs,
      bbox: [position.lon - dLon, position.lat - dLat, position.lon + dLon, position.lat + dLat],
      limit: 500,
    });
    return candidates
      .filter((r) => r.id !== options.excludeId && r.position)
      .map((report) => ({ report, distanceM: Math.round(haversineM(position, report.position!)) }))
      .filter((s) => s.distanceM <= radiusM)
      .sort((a, b) => a.distanceM - b.distanceM || b.report.requestedAt - a.report.requestedAt)
      .slice(0, limit);
  }

  /** Everything operators see of one report (the HTTP layer leaves out what a role may not read). */
  async detail(id: string): Promise<ReportDetail> {
    const report = await this.store.reports.get(id);
    if (!report) throw WorkflowError.notFound(`report ${id} not found`);
    const [updates, notes, photos, timeline] = await Promise.all([
      this.store.reports.updates({ reportId: id }),
      this.store.reports.notes(id),
      this.store.reports.photos(id),
      this.store.audit.list({ entityType: 'report', entityId: id, order: 'asc', limit: TIMELINE_MAX_ENTRIES }),
    ]);
    return { report, updates, notes, photos, timeline };
  }
}
