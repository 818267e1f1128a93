// One incident: what raised it and why, its timeline (status changes, comments, rule updates), linked
// signals, and the actions the operator's role allows. Re-read whenever the live copy changes.
import { useEffect, useState, type FormEvent } from 'react';
import { roleAtLeast, STATUS_TRANSITIONS, type AuditEntry, type Incident, type IncidentDetail, type Operator } from '@city/shared/incidents';
import { fetchAssignees, fetchIncident, incidentActions } from '../../adapters/ops-api.ts';
import { dueText, STATUS_LABELS } from '../../core/incident-store.ts';
import { formatAge, formatValue } from '../../core/units.ts';
import { useNow } from '../use-now.ts';

export interface IncidentDetailProps {
  incidentId: string;
  /** the live copy from the queue: a newer updatedAt re-reads the detail */
  live?: Incident;
  user: Operator;
  districtName?: string;
  /** the city's zone (/api/config): the explanation's clock times are in it */
  cityTimeZone?: string;
  onChanged: (incident: Incident) => void;
  onShowDevice: (deviceId: string) => void;
  onClose: () => void;
}

const timeOf = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The browser's own zone; the panel's other times are shown in it. */
const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export function IncidentDetailPanel({ incidentId, live, user, districtName, cityTimeZone, onChanged, onShowDevice, onClose }: IncidentDetailProps) {
  const now = useNow(5000);
  const [detail, setDetail] = useState<IncidentDetail>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [comment, setComment] = useState('');
  const [assignees, setAssignees] = useState<Operator[]>([]);
  const canAct = roleAtLeast(user.role, 'operator');

  useEffect(() => {
    let gone = false;
    fetchIncident(incidentId).then(
      (d) => !gone && setDetail(d),
      (err: Error) => !gone && setError(err.message),
    );
    return () => {
      gone = true;
    };
  }, [incidentId, live?.updatedAt]);

  useEffect(() => {
    if (canAct) fetchAssignees().then((r) => setAssignees(r.users), () => setAssignees([]));
  }, [canAct]);

  const incident: Incident | undefined = live && detail && live.updatedAt > detail.updatedAt ? live : (detail ?? live);

  const run = async (action: () => Promise<Incident>) => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await action();
      onChanged(updated);
      setDetail(await fetchIncident(incidentId));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const submitComment = (e: FormEvent) => {
    e.preventDefault();
    const text = comment.trim();
    if (!text) return;
    void run(() => incidentActions.comment(incidentId, text)).then(() => setComment(''));
  };

  if (!incident) {
    return (
      <aside className="panel incident-detail" data-testid="incident-detail">
        <button className="close" onClick={onClose} aria-label="Close">
          ×
        </button>
        <p className="muted">{error ?? 'Loading…'}</p>
      </aside>
    );
  }

  const next = STATUS_TRANSITIONS[incident.status];
  const due = dueText(incident, now);
  const ev = incident.evidence;
  const value = (v: number | undefined) => (v === undefined || !ev.metric ? '—' : formatValue(ev.metric, v));

  return (
    <aside className={`panel incident-detail sev-border-${incident.severity}`} data-testid="incident-detail" data-status={incident.status}>
      <div className="panel-head">
        <div>
          <div className={`panel-kind sev-text-${incident.severity}`}>
            {incident.severity} · {incident.category.replace(/_/g, ' ')}
          </div>
          <h2 className="incident-title">{incident.title}</h2>
          <div className="muted mono">{incident.id}</div>
        </div>
        <button className="close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </div>

      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <span className={`status-tag status-${incident.status}`} data-testid="incident-status">
              {STATUS_LABELS[incident.status]}
            </span>
          </dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>
            {timeOf(incident.openedAt)} <span className="muted">({formatAge(now - incident.openedAt)} ago)</span>
          </dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd>{incident.assignee ?? <span className="muted">nobody</span>}</dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd className={due?.overdue ? 'overdue' : ''}>{due?.text ?? '—'}</dd>
        </div>
        <div>
          <dt>District</dt>
          <dd>{districtName ?? incident.district ?? '—'}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>
            {incident.deviceId ? (
              <button className="link" onClick={() => onShowDevice(incident.deviceId!)}>
                {incident.deviceId}
              </button>
            ) : (
              incident.source
            )}
          </dd>
        </div>
      </dl>

      <h3>Why</h3>
      <p className="explanation" data-testid="incident-explanation">
        {incident.explanation}
      </p>
      {cityTimeZone && cityTimeZone !== browserTimeZone() && (
        <p className="hint" data-testid="explanation-zone">
          Clock times in this explanation are {cityTimeZone} time; the other times here are this computer&apos;s ({browserTimeZone()}).
        </p>
      )}
      {ev.metric && (
        <ul className="values">
          <li>
            <span className="v-label">last</span> <span className="v-value">{value(ev.lastValue)}</span>
          </li>
          <li>
            <span className="v-label">peak</span> <span className="v-value">{value(ev.peakValue)}</span>
          </li>
        </ul>
      )}
      {ev.camera && (
        <p>
          Camera <strong>{ev.camera.cameraId}</strong>: {ev.camera.label} ({Math.round(ev.camera.score * 100)}%)
          {ev.camera.zones.length > 0 ? ` in ${ev.camera.zones.join(', ')}` : ''}
        </p>
      )}
      <p className="muted small">
        {ev.count} matching {ev.count === 1 ? 'signal' : 'signals'} · first {timeOf(ev.firstSeenAt)} · last {timeOf(ev.lastSeenAt)}
      </p>

      {incident.linked.length > 0 && (
        <>
          <h3>Linked nearby</h3>
          <ul className="linked" data-testid="incident-linked">
            {incident.linked.map((l) => (
              <li key={`${l.type}:${l.id}`}>
                <span className="tag">{l.type}</span> {l.summary}
              </li>
            ))}
          </ul>
        </>
      )}

      {canAct && next.length > 0 && (
        <div className="actions" data-testid="incident-actions">
          {next.includes('acknowledged') && (
            <button className="primary" disabled={busy} onClick={() => run(() => incidentActions.acknowledge(incident.id))}>
              Acknowledge
            </button>
          )}
          {next.includes('in_progress') && (
            <button disabled={busy} onClick={() => run(() => incidentActions.start(incident.id))}>
              Start work
            </button>
          )}
          {next.includes('resolved') && (
            <button className="good" disabled={busy} onClick={() => run(() => incidentActions.resolve(incident.id, comment.trim() || undefined))}>
              Resolve
            </button>
          )}
          {next.includes('dismissed') && (
            <button
              className="quiet"
              disabled={busy}
              onClick={() => {
                const reason = window.prompt('Why dismiss this incident?');
                if (reason?.trim()) void run(() => incidentActions.dismiss(incident.id, reason.trim()));
              }}
            >
              Dismiss
            </button>
          )}
          {assignees.length > 0 && (
            <select aria-label="Assign to" value={incident.assignee ?? ''} disabled={busy} onChange={(e) => e.target.value && run(() => incidentActions.assign(incident.id, e.target.value))}>
              <option value="">Assign to…</option>
              {assignees.map((u) => (
                <option key={u.username} value={u.username}>
                  {u.displayName || u.username}
                </option>
              ))}
            </select>
          )}
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}

      {canAct && (
        <form className="comment-form" onSubmit={submitComment}>
          <textarea placeholder="Add a comment (also used as the resolution note)" maxLength={4000} value={comment} onChange={(e) => setComment(e.target.value)} />
          <button type="submit" disabled={busy || !comment.trim()}>
            Comment
          </button>
        </form>
      )}

      <h3>Timeline</h3>
      <ol className="timeline" data-testid="incident-timeline">
        {(detail?.timeline ?? []).map((t) => (
          <li key={t.id}>
            <span className="t-time">{timeOf(t.at)}</span> <span className="t-actor">{t.actor}</span> {describeEntry(t, detail?.comments)}
          </li>
        ))}
      </ol>
    </aside>
  );
}

/** One audit row as a line of the timeline. */
function describeEntry(entry: AuditEntry, comments: IncidentDetail['comments'] | undefined): string {
  const after = (entry.after ?? {}) as Record<string, unknown>;
  switch (entry.action) {
    case 'incident.open':
      return 'opened the incident';
    case 'incident.acknowledge':
      return 'acknowledged';
    case 'incident.start':
      return 'started work';
    case 'incident.assign':
      return `assigned it to ${String(after.assignee ?? '?')}`;
    case 'incident.comment': {
      const text = typeof after.text === 'string' ? after.text : comments?.find((c) => c.id === after.commentId)?.text;
      return `commented: “${text ?? ''}”`;
    }
    case 'incident.resolve':
      return `resolved${after.note ? `: “${String(after.note)}”` : ''}`;
    case 'incident.auto-resolve':
      return 'resolved it: the condition cleared';
    case 'incident.dismiss':
      return `dismissed${after.reason ? `: “${String(after.reason)}”` : ''}`;
    case 'incident.severity':
      return `set severity to ${String(after.severity ?? '?')}`;
    case 'incident.rule-update':
      return after.severity ? `escalated to ${String(after.severity)}` : 'new matching readings';
    case 'incident.link':
      return 'linked nearby signals';
    default:
      return entry.action;
  }
}
