// Every change to an incident goes through here: the workflow check, the change and its audit row in
// one store transaction, then one change event for the socket layer. Operators, the rules engine
// ('system') and retention all use the same methods.
//
// Why store.transaction(fn) rather than one repository call doing both writes: several steps read
// before they write (is the status still open? is the assignee an enabled operator? is a dedupe key
// free?) and some write twice (a resolve note is a comment). Inside an IMMEDIATE transaction the
// reads cannot go stale before the writes, in this process or another one on the same file; a
// PostgreSQL store gives the same with BEGIN ... SELECT ... FOR UPDATE on a pooled client.
import {
  INCIDENT_CATEGORIES,
  INCIDENT_SOURCES,
  SEVERITIES,
  isActive,
  roleAtLeast,
  type AuditEntry,
  type Incident,
  type IncidentCategory,
  type IncidentComment,
  type IncidentDetail,
  type IncidentEvidence,
  type IncidentSource,
  type LinkedItem,
  type Logger,
  type Position,
  type SensorKind,
  type Severity,
} from '@city/shared';
import { WorkflowError, assertTransition, dueAt } from '../core/workflow.ts';
import { changedFields } from './audit.ts';
import { applyIncidentPatch, linkKey } from './incidents.ts';
import { ChangeListeners, inServiceTransaction } from './service-support.ts';
import type { IncidentPatch, OpsRepositories, OpsStore } from './repositories.ts';
import { normalizeUsername } from './users.ts';

export type IncidentChange = 'opened' | 'updated' | 'closed';
export type IncidentListener = (incident: Incident, change: IncidentChange) => void;

export const COMMENT_MAX_LENGTH = 4000;
export const TITLE_MAX_LENGTH = 200;
export const EXPLANATION_MAX_LENGTH = 2000;
/** how many entries a detail's timeline shows at most (a rule updating every 30 s makes many) */
export const TIMELINE_MAX_ENTRIES = 5000;

export interface OpenIncidentInput {
  /** given by an import; otherwise the next INC-000123 */
  id?: string;
  title: string;
  category: IncidentCategory;
  severity: Severity;
  source: IncidentSource;
  deviceId?: string;
  deviceKind?: SensorKind;
  position?: Position;
  district?: string;
  /** rule id + device id: refused with 409 while another incident with this key is active */
  dedupeKey?: string;
  explanation: string;
  evidence: IncidentEvidence;
  linked?: LinkInput[];
  /** default: true for source 'rule', false otherwise */
  autoResolve?: boolean;
  /** epoch ms; default now */
  openedAt?: number;
}

/** What the rules engine changes while a condition persists: only what it gives. */
export interface RuleUpdatePatch {
  /** merged into the evidence: count, lastValue, peakValue, lastSeenAt, ... */
  evidence?: Partial<IncidentEvidence>;
  severity?: Severity;
  title?: string;
  explanation?: string;
  /** added when not linked yet (fusion); linkedBy defaults to 'fusion' */
  linked?: LinkInput[];
}

/** What one change does: the patch, what the audit row adds to the changed fields, fields it leaves out of the diff. */
interface Decision {
  patch?: IncidentPatch;
  note?: Record<string, unknown>;
  /** fields whose before/after the note already tells (linked arrays: only the added items are kept) */
  ignore?: string[];
}

/** A link an operator or fusion adds; linkedBy and at are filled in when absent. */
export type LinkInput = Omit<LinkedItem, 'linkedBy' | 'at'> & { linkedBy?: string; at?: number };

export interface IncidentServiceContext {
  store: OpsStore;
  logger: Logger;
  /** epoch ms; Date.now by default */
  now?: () => number;
}

const SYSTEM = 'system';
const LINK_TYPES: readonly LinkedItem['type'][] = ['incident', 'report', 'device'];

function checkText(what: string, text: unknown, max: number): string {
  if (typeof text !== 'string') throw WorkflowError.badRequest(`${what}: expected text`);
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > max) throw WorkflowError.badRequest(`${what}: expected 1-${max} characters (got ${trimmed.length})`);
  return trimmed;
}

function checkSeverity(severity: unknown): Severity {
  if (!SEVERITIES.includes(severity as Severity)) throw WorkflowError.badRequest(`severity: expected one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(severity)})`);
  return severity as Severity;
}

function checkLinks(incidentId: string, items: LinkInput[], actor: string, nowMs: number): LinkedItem[] {
  if (!Array.isArray(items) || items.length === 0) throw WorkflowError.badRequest('links: expected at least one item');
  if (items.length > 100) throw WorkflowError.badRequest('links: expected at most 100 items at once');
  return items.map((item, i) => {
    if (!LINK_TYPES.includes(item.type)) throw WorkflowError.badRequest(`links[${i}].type: expected one of ${LINK_TYPES.join(', ')}`);
    if (typeof item.id !== 'string' || item.id === '' || item.id.length > 128) throw WorkflowError.badRequest(`links[${i}].id: expected 1-128 characters`);
    if (item.type === 'incident' && item.id === incidentId) throw WorkflowError.badRequest(`links[${i}]: an incident cannot link to itself`);
    const summary = checkText(`links[${i}].summary`, item.summary, 500);
    const linked: LinkedItem = {
      type: item.type,
      id: item.id,
      summary,
      at: item.at ?? nowMs,
      // operators cannot sign as someone else; the rules engine names 'fusion' or what it gives
      linkedBy: actor === SYSTEM ? (item.linkedBy ?? 'fusion') : actor,
    };
    if (item.distanceM !== undefined) linked.distanceM = item.distanceM;
    return linked;
  });
}

/** The first of each type + id, as the repository's addLinks keeps them. */
function uniqueLinks(items: LinkedItem[]): LinkedItem[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(linkKey(item)) && seen.add(linkKey(item)));
}

export class IncidentService {
  private readonly store: OpsStore;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly listeners: ChangeListeners<Parameters<IncidentListener>>;

  constructor(ctx: IncidentServiceContext) {
    this.store = ctx.store;
    this.logger = ctx.logger;
    this.now = ctx.now ?? Date.now;
    this.listeners = new ChangeListeners(ctx.logger, 'incident');
  }

  /** Called after each committed change; returns the unsubscribe function. A throwing listener is logged, the rest still run. */
  onChange(listener: IncidentListener): () => void {
    return this.listeners.add(listener);
  }

  private emit(incident: Incident, change: IncidentChange): void {
    this.listeners.emit({ incidentId: incident.id, change }, incident, change);
  }

  /** Runs fn in a transaction; store errors become WorkflowErrors with the same status. */
  private inTransaction<T>(fn: (tx: OpsRepositories) => Promise<T>): Promise<T> {
    return inServiceTransaction(this.store, fn);
  }

  private static async mustGet(tx: OpsRepositories, id: string): Promise<Incident> {
    const incident = await tx.incidents.get(id);
    if (!incident) throw WorkflowError.notFound(`incident ${id} not found`);
    return incident;
  }

  private static assertActive(incident: Incident, what: string): void {
    if (!isActive(incident.status)) throw WorkflowError.conflict(`incident ${incident.id} is ${incident.status}: cannot ${what}`);
  }

  /**
   * The common shape of a change: read, decide (may throw), write the patch with updatedAt, and
   * append the audit row with only the fields that changed plus the decision's note. A decision of
   * undefined, or one that changes nothing and notes nothing, writes nothing and emits nothing.
   */
  private async change(
    id: string | ((tx: OpsRepositories) => Promise<Incident>),
    actor: string,
    action: string,
    decide: (current: Incident, nowMs: number, tx: OpsRepositories) => Promise<Decision | undefined> | Decision | undefined,
  ): Promise<Incident> {
    const nowMs = this.now();
    const result = await this.inTransaction(async (tx) => {
      const current = typeof id === 'string' ? await IncidentService.mustGet(tx, id) : await id(tx);
      const decision = await decide(current, nowMs, tx);
      const ignore = ['updatedAt', ...(decision?.ignore ?? [])];
      const diff = changedFields(current, applyIncidentPatch(current, decision?.patch ?? {}), ignore);
      if (!decision || (Object.keys(diff.after).length === 0 && Object.keys(diff.before).length === 0 && !decision.note)) {
        return { incident: current, changed: false, closed: false };
      }
      const next = await tx.incidents.update(current.id, { ...decision.patch, updatedAt: nowMs });
      await tx.audit.append({ at: nowMs, actor, action, entityType: 'incident', entityId: current.id, before: diff.before, after: { ...diff.after, ...decision.note } });
      return { incident: next, changed: true, closed: isActive(current.status) && !isActive(next.status) };
    });
    if (result.changed) this.emit(result.incident, result.closed ? 'closed' : 'updated');
    return result.incident;
  }

  async open(input: OpenIncidentInput, actor: string): Promise<Incident> {
    const title = checkText('title', input.title, TITLE_MAX_LENGTH);
    const explanation = checkText('explanation', input.explanation, EXPLANATION_MAX_LENGTH);
    if (!INCIDENT_CATEGORIES.includes(input.category)) throw WorkflowError.badRequest(`category: expected one of ${INCIDENT_CATEGORIES.join(', ')} (got ${JSON.stringify(input.category)})`);
    if (!INCIDENT_SOURCES.includes(input.source)) throw WorkflowError.badRequest(`source: expected one of ${INCIDENT_SOURCES.join(', ')} (got ${JSON.stringify(input.source)})`);
    const severity = checkSeverity(input.severity);
    if (input.dedupeKey !== undefined && (input.dedupeKey === '' || input.dedupeKey.length > 200)) throw WorkflowError.badRequest('dedupeKey: expected 1-200 characters');
    const nowMs = this.now();
    const openedAt = input.openedAt ?? nowMs;
    const incident = await this.inTransaction(async (tx) => {
      if (input.dedupeKey !== undefined) {
        const active = await tx.incidents.findActiveByDedupeKey(input.dedupeKey);
        if (active) throw WorkflowError.conflict(`incident ${active.id} is already active for ${JSON.stringify(input.dedupeKey)}: update it instead`);
      }
      // field by field: a caller passing a raw request body cannot smuggle in status, assignee or times
      const created = await tx.incidents.create({
        ...(input.id !== undefined ? { id: input.id } : {}),
        title,
        category: input.category,
        severity,
        status: 'open',
        source: input.source,
        ...(input.deviceId !== undefined ? { deviceId: input.deviceId } : {}),
        ...(input.deviceKind !== undefined ? { deviceKind: input.deviceKind } : {}),
        ...(input.position !== undefined ? { position: { lat: input.position.lat, lon: input.position.lon } } : {}),
        ...(input.district !== undefined ? { district: input.district } : {}),
        ...(input.dedupeKey !== undefined ? { dedupeKey: input.dedupeKey } : {}),
        explanation,
        evidence: input.evidence,
        linked: input.linked?.length ? uniqueLinks(checkLinks('', input.linked, actor, nowMs)) : [],
        openedAt,
        updatedAt: nowMs,
        dueAt: dueAt(input.category, severity, openedAt),
        autoResolve: input.autoResolve ?? input.source === 'rule',
      });
      await tx.audit.append({ at: nowMs, actor, action: 'incident.open', entityType: 'incident', entityId: created.id, after: created });
      return created;
    });
    this.emit(incident, 'opened');
    return incident;
  }

  /**
   * The rules engine's update of the active incident for a key (count, last value, ...); 404 when
   * none is active. Comes every few seconds while a condition persists, so its audit row holds only
   * the changed fields (evidence: only the changed keys) and nothing is written when nothing changed.
   */
  async applyRuleUpdate(dedupeKey: string, patch: RuleUpdatePatch, actor = SYSTEM): Promise<Incident> {
    const severity = patch.severity === undefined ? undefined : checkSeverity(patch.severity);
    const title = patch.title === undefined ? undefined : checkText('title', patch.title, TITLE_MAX_LENGTH);
    const explanation = patch.explanation === undefined ? undefined : checkText('explanation', patch.explanation, EXPLANATION_MAX_LENGTH);
    return this.change(
      (tx) => this.activeByKey(tx, dedupeKey),
      actor,
      'incident.rule-update',
      async (current, nowMs, tx) => {
        const next: IncidentPatch = {};
        if (patch.evidence) next.evidence = { ...current.evidence, ...patch.evidence };
        if (title !== undefined) next.title = title;
        if (explanation !== undefined) next.explanation = explanation;
        if (severity !== undefined && severity !== current.severity) {
          next.severity = severity;
          if (current.status === 'open') next.dueAt = dueAt(current.category, severity, current.openedAt);
        }
        let added: LinkedItem[] = [];
        if (patch.linked?.length) added = (await tx.incidents.addLinks(current.id, checkLinks(current.id, patch.linked, actor, nowMs))).added;
        return { patch: next, ignore: ['linked'], ...(added.length ? { note: { linked: added } } : {}) };
      },
    );
  }

  /**
   * The rule's condition cleared: resolves the active incident for the key when it is marked
   * autoResolve. undefined when none is active; returned unchanged when an operator must close it.
   */
  async autoResolve(dedupeKey: string, evidence?: Partial<IncidentEvidence>, actor = SYSTEM): Promise<Incident | undefined> {
    const active = await this.store.incidents.findActiveByDedupeKey(dedupeKey);
    if (!active || !active.autoResolve) return active;
    return this.change(
      (tx) => this.activeByKey(tx, dedupeKey),
      actor,
      'incident.auto-resolve',
      (current, nowMs) => {
        if (!current.autoResolve) return undefined;
        assertTransition(current, 'resolved');
        return { patch: { status: 'resolved', resolvedAt: nowMs, ...(evidence ? { evidence: { ...current.evidence, ...evidence } } : {}) } };
      },
    );
  }

  private async activeByKey(tx: OpsRepositories, dedupeKey: string): Promise<Incident> {
    const incident = await tx.incidents.findActiveByDedupeKey(dedupeKey);
    if (!incident) throw WorkflowError.notFound(`no active incident for ${JSON.stringify(dedupeKey)}`);
    return incident;
  }

  async acknowledge(id: string, actor: string): Promise<Incident> {
    return this.change(id, actor, 'incident.acknowledge', (current, nowMs) => {
      assertTransition(current, 'acknowledged');
      return { patch: { status: 'acknowledged', acknowledgedAt: nowMs } };
    });
  }

  /** in_progress; acknowledges it too when that was skipped, and assigns the actor when nobody is. */
  async startWork(id: string, actor: string): Promise<Incident> {
    return this.change(id, actor, 'incident.start', (current, nowMs) => {
      assertTransition(current, 'in_progress');
      return { patch: { status: 'in_progress', acknowledgedAt: current.acknowledgedAt ?? nowMs, assignee: current.assignee ?? actor } };
    });
  }

  /** Assigns an enabled operator or admin (400 otherwise); null unassigns. Active incidents only (409). */
  async assign(id: string, assignee: string | null, actor: string): Promise<Incident> {
    return this.change(id, actor, 'incident.assign', async (current, _nowMs, tx) => {
      IncidentService.assertActive(current, 'be assigned');
      if (assignee === null) return { patch: { assignee: null } };
      const username = normalizeUsername(assignee);
      const user = await tx.users.get(username);
      if (!user || user.disabled || !roleAtLeast(user.role, 'operator')) {
        throw WorkflowError.badRequest(`assignee ${JSON.stringify(assignee)}: expected an enabled operator or admin`);
      }
      return { patch: { assignee: username } };
    });
  }

  /** Adds a comment (1-4000 characters); allowed on closed incidents too, for the record. */
  async comment(id: string, text: string, actor: string): Promise<Incident> {
    const body = checkText('comment', text, COMMENT_MAX_LENGTH);
    return this.change(id, actor, 'incident.comment', async (current, nowMs, tx) => {
      const comment = await tx.incidents.addComment(current.id, actor, body, nowMs);
      return { note: { commentId: comment.id, text: body } };
    });
  }

  /** Resolves it; a note is kept as a comment and in the audit row. */
  async resolve(id: string, actor: string, note?: string): Promise<Incident> {
    const body = note === undefined || note.trim() === '' ? undefined : checkText('note', note, COMMENT_MAX_LENGTH);
    return this.change(id, actor, 'incident.resolve', async (current, nowMs, tx) => {
      assertTransition(current, 'resolved');
      if (body) await tx.incidents.addComment(current.id, actor, body, nowMs);
      return { patch: { status: 'resolved', resolvedAt: nowMs }, ...(body ? { note: { note: body } } : {}) };
    });
  }

  /** Closes it as needing no action; the reason (required) is kept as a comment and in the audit row. */
  async dismiss(id: string, actor: string, reason: string): Promise<Incident> {
    const body = checkText('reason', reason, COMMENT_MAX_LENGTH);
    return this.change(id, actor, 'incident.dismiss', async (current, nowMs, tx) => {
      assertTransition(current, 'dismissed');
      await tx.incidents.addComment(current.id, actor, `Dismissed: ${body}`, nowMs);
      return { patch: { status: 'dismissed', resolvedAt: nowMs }, note: { reason: body } };
    });
  }

  /** Changes the severity of an active incident (409 when closed); an unacknowledged one gets the new SLA's due time. */
  async setSeverity(id: string, severity: Severity, actor: string): Promise<Incident> {
    const next = checkSeverity(severity);
    return this.change(id, actor, 'incident.severity', (current) => {
      IncidentService.assertActive(current, 'change severity');
      return { patch: { severity: next, ...(current.status === 'open' ? { dueAt: dueAt(current.category, next, current.openedAt) } : {}) } };
    });
  }

  /** Links reports, devices or other incidents; those already linked (same type + id) are skipped. */
  async link(id: string, items: LinkInput[], actor: string): Promise<Incident> {
    const links = checkLinks(id, items, actor, this.now());
    return this.change(id, actor, 'incident.link', async (current, _nowMs, tx) => {
      const { added } = await tx.incidents.addLinks(current.id, links);
      return added.length ? { ignore: ['linked'], note: { added } } : undefined;
    });
  }

  /** The incident with its comments and its timeline from the audit trail, oldest first. */
  async detail(id: string): Promise<IncidentDetail> {
    const incident = await this.store.incidents.get(id);
    if (!incident) throw WorkflowError.notFound(`incident ${id} not found`);
    const [comments, timeline]: [IncidentComment[], AuditEntry[]] = await Promise.all([
      this.store.incidents.comments(id),
      this.store.audit.list({ entityType: 'incident', entityId: id, order: 'asc', limit: TIMELINE_MAX_ENTRIES }),
    ]);
    return { ...incident, comments, timeline };
  }
}
