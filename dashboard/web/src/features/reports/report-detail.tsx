// One citizen report: what was reported (text, photos, place), who reported it (operators only, when
// the API returns it), public updates, internal notes, the timeline and possible duplicates; and the
// actions the operator's role allows. Re-read whenever the live copy changes and after each action.
// Citizen text is always rendered as text, never as HTML.
import './reports.css';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { roleAtLeast, type AuditEntry, type Incident, type Operator } from '@city/shared/incidents';
import { REPORT_STATUS_LABELS, type ReportStatus } from '@city/shared/open311';
import type { LiveReport, OperatorReportDetail, ReporterContact } from '@city/shared/reports';
import { fetchReport, reportActions } from '../../adapters/ops-api.ts';
import { SETTABLE_REPORT_STATUSES } from '../../core/report-store.ts';
import { formatAge } from '../../core/units.ts';
import { useNow } from '../use-now.ts';
import { categoryLabel, ReportStatusChip } from './report-list.tsx';

export interface ReportDetailProps {
  reportId: string;
  /** the live copy from `/ops`: a newer updatedAt re-reads the detail */
  live?: LiveReport;
  user: Operator;
  districtName?: string;
  /** what a report can be linked to: the active incidents of the live store */
  activeIncidents: readonly Incident[];
  onShowReport: (id: string) => void;
  onShowIncident: (id: string) => void;
  onClose: () => void;
}

const timeOf = (ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeOf = (ms: number) => new Date(ms).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

/** epoch ms -> the value of a datetime-local input (the browser's local time) */
function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const CONTACT_FIELDS: ReadonlyArray<[keyof ReporterContact, string]> = [
  ['firstName', 'First name'],
  ['lastName', 'Last name'],
  ['email', 'Email'],
  ['phone', 'Phone'],
  ['deviceId', 'Device'],
  ['accountId', 'Account'],
];

export function ReportDetailPanel({ reportId, live, user, districtName, activeIncidents, onShowReport, onShowIncident, onClose }: ReportDetailProps) {
  const now = useNow(5000);
  const [detail, setDetail] = useState<OperatorReportDetail>();
  const [loadError, setLoadError] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<ReportStatus | ''>('');
  const [statusNote, setStatusNote] = useState('');
  const [note, setNote] = useState('');
  const [expected, setExpected] = useState<string>();
  const [duplicateOf, setDuplicateOf] = useState('');
  const [incidentId, setIncidentId] = useState('');
  const canAct = roleAtLeast(user.role, 'operator');

  useEffect(() => {
    let gone = false;
    fetchReport(reportId).then(
      (d) => !gone && (setDetail(d), setLoadError(undefined)),
      (err: Error) => !gone && setLoadError(err.message),
    );
    return () => {
      gone = true;
    };
  }, [reportId, live?.updatedAt]);

  // the live copy is newer: its fields over the detail's (it has no contact: the detail's stays)
  const report = detail && live && live.updatedAt > detail.updatedAt ? { ...detail, ...live } : detail;

  /** Runs an action; on success clears its inputs and re-reads the detail; an API error shows inline. */
  const run = async (action: () => Promise<unknown>, clear?: () => void) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      clear?.();
      setDetail(await fetchReport(reportId));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const close = (
    <button className="close" onClick={onClose} aria-label="Close">
      ×
    </button>
  );
  if (!report) {
    return (
      <aside className="panel report-detail" data-testid="report-detail">
        {close}
        <p className="muted">{loadError ?? 'Loading…'}</p>
      </aside>
    );
  }

  const submitStatus = (e: FormEvent) => {
    e.preventDefault();
    if (!status) return;
    void run(
      () => reportActions.status(report.id, status, statusNote.trim() || undefined),
      () => (setStatus(''), setStatusNote('')),
    );
  };
  const addNote = (isPublic: boolean) => {
    const text = note.trim();
    if (text) void run(() => reportActions.note(report.id, text, isPublic), () => setNote(''));
  };
  const expectedValue = expected ?? toLocalInput(report.expectedAt);
  const contact = report.reporter ? CONTACT_FIELDS.filter(([k]) => report.reporter![k] !== undefined) : [];
  const texts: EntryTexts = {
    notes: new Map((report.notes ?? []).map((n) => [n.id, n.text])),
    updates: new Map(report.updates.map((u) => [String(u.id), u.description ?? ''])),
  };

  return (
    <aside className="panel report-detail" data-testid="report-detail" data-report-id={report.id} data-status={report.status}>
      <div className="panel-head">
        <div>
          <div className="panel-kind">Citizen report · {categoryLabel(report.category)}</div>
          <h2 className="incident-title">{report.serviceName ?? report.serviceCode}</h2>
          <div className="muted mono">#{report.id}</div>
        </div>
        {close}
      </div>

      <dl className="facts">
        <Fact label="Status">
          <ReportStatusChip status={report.status} testId="report-status" />
        </Fact>
        <Fact label="Reported">
          {dateTimeOf(report.requestedAt)} <span className="muted">({formatAge(now - report.requestedAt)} ago)</span>
        </Fact>
        <Fact label="District">{districtName ?? report.district ?? '—'}</Fact>
        <Fact label="Expected">{report.expectedAt !== undefined ? dateTimeOf(report.expectedAt) : '—'}</Fact>
        <Fact label="Source">{report.source === 'web' ? 'city web form' : report.source}</Fact>
        <Fact label="Place">{report.address ?? (report.position ? `${report.position.lat.toFixed(5)}, ${report.position.lon.toFixed(5)}` : '—')}</Fact>
      </dl>
      {report.duplicateOf && (
        <p className="small">
          Duplicate of{' '}
          <button className="link" onClick={() => onShowReport(report.duplicateOf!)}>
            #{report.duplicateOf}
          </button>
        </p>
      )}
      {report.incidentIds.length > 0 && (
        <p className="small" data-testid="report-incidents">
          Linked incidents:{' '}
          {report.incidentIds.map((id) => (
            <button key={id} className="link" onClick={() => onShowIncident(id)} style={{ marginRight: 6 }}>
              {id}
            </button>
          ))}
        </p>
      )}

      <h3>Description</h3>
      <p className="report-text" data-testid="report-description">
        {report.description ?? <span className="muted">no description</span>}
      </p>
      {Object.keys(report.attributes).length > 0 && (
        <p className="muted small">
          {Object.entries(report.attributes)
            .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
            .join(' · ')}
        </p>
      )}

      {report.photos.length > 0 && (
        <div className="photos" data-testid="report-photos">
          {report.photos.map((p, i) => (
            <a key={p.id} href={p.url} target="_blank" rel="noreferrer noopener">
              <img src={p.url} alt={`Photo ${i + 1} of report ${report.id}`} loading="lazy" />
            </a>
          ))}
        </div>
      )}

      {contact.length > 0 && (
        <>
          <h3>Reporter (confidential)</h3>
          <dl className="contact" data-testid="report-contact">
            {contact.map(([k, label]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{label}</dt>
                <dd>{report.reporter![k]}</dd>
              </div>
            ))}
          </dl>
        </>
      )}

      <h3>Public updates</h3>
      {report.updates.length === 0 ? (
        <p className="muted small">none yet</p>
      ) : (
        <ul className="entries" data-testid="report-updates">
          {report.updates.map((u) => (
            <li key={u.id}>
              <div className="e-head">
                <ReportStatusChip status={u.status} /> {dateTimeOf(u.at)} · {u.author}
              </div>
              {u.description && <div className="e-text">{u.description}</div>}
            </li>
          ))}
        </ul>
      )}

      {report.notes && (
        <>
          <h3>Internal notes</h3>
          {report.notes.length === 0 ? (
            <p className="muted small">none</p>
          ) : (
            <ul className="entries internal" data-testid="report-notes">
              {report.notes.map((n) => (
                <li key={n.id}>
                  <div className="e-head">
                    {dateTimeOf(n.at)} · {n.author}
                  </div>
                  <div className="e-text">{n.text}</div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}

      {canAct && (
        <div className="report-actions" data-testid="report-actions">
          <form className="row" onSubmit={submitStatus} data-testid="report-status-form">
            <label className="row-label" htmlFor="report-new-status">
              Change status
            </label>
            <select id="report-new-status" aria-label="New status" value={status} disabled={busy} onChange={(e) => setStatus(e.target.value as ReportStatus | '')}>
              <option value="">Status…</option>
              {SETTABLE_REPORT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {REPORT_STATUS_LABELS[s]}
                  {s === report.status ? ' (current)' : ''}
                </option>
              ))}
            </select>
            <input type="text" aria-label="Public note with the status" placeholder="Public note (optional)" maxLength={4000} value={statusNote} onChange={(e) => setStatusNote(e.target.value)} />
            <button type="submit" className="primary" disabled={busy || !status}>
              Set status
            </button>
          </form>

          <div className="row">
            <label className="row-label" htmlFor="report-note">
              Note
            </label>
            <textarea id="report-note" aria-label="Note" placeholder="A public note is published to the reporter; an internal note only operators read" maxLength={4000} value={note} onChange={(e) => setNote(e.target.value)} />
            <button disabled={busy || !note.trim()} onClick={() => addNote(true)}>
              Add public note
            </button>
            <button disabled={busy || !note.trim()} onClick={() => addNote(false)}>
              Add internal note
            </button>
          </div>

          <div className="row">
            <label className="row-label" htmlFor="report-expected">
              Expected by
            </label>
            <input id="report-expected" type="datetime-local" aria-label="Expected by" value={expectedValue} onChange={(e) => setExpected(e.target.value)} />
            <button
              disabled={busy || !expectedValue || Number.isNaN(new Date(expectedValue).getTime())}
              onClick={() => void run(() => reportActions.expected(report.id, new Date(expectedValue).toISOString()), () => setExpected(undefined))}
            >
              Set
            </button>
            <button disabled={busy || report.expectedAt === undefined} onClick={() => void run(() => reportActions.expected(report.id, null), () => setExpected(undefined))}>
              Clear
            </button>
          </div>

          <div className="row">
            <label className="row-label" htmlFor="report-duplicate-of">
              Duplicate of
            </label>
            {report.possibleDuplicates.length > 0 && (
              <select aria-label="Possible duplicates" value="" onChange={(e) => setDuplicateOf(e.target.value)}>
                <option value="">Nearby…</option>
                {report.possibleDuplicates.map((d) => (
                  <option key={d.id} value={d.id}>
                    #{d.id} · {d.distanceM} m · {REPORT_STATUS_LABELS[d.status]}
                  </option>
                ))}
              </select>
            )}
            <input id="report-duplicate-of" type="text" inputMode="numeric" placeholder="report id" value={duplicateOf} onChange={(e) => setDuplicateOf(e.target.value.trim())} />
            <button disabled={busy || !duplicateOf} onClick={() => void run(() => reportActions.duplicate(report.id, duplicateOf), () => setDuplicateOf(''))}>
              Mark duplicate
            </button>
          </div>

          <div className="row">
            <label className="row-label" htmlFor="report-link">
              Link to incident
            </label>
            <select id="report-link" value={incidentId} disabled={busy} onChange={(e) => setIncidentId(e.target.value)}>
              <option value="">{activeIncidents.length ? 'Active incident…' : 'No active incidents'}</option>
              {activeIncidents
                .filter((i) => !report.incidentIds.includes(i.id))
                .map((i) => (
                  <option key={i.id} value={i.id}>
                    {i.id} · {i.title}
                  </option>
                ))}
            </select>
            <button disabled={busy || !incidentId} onClick={() => void run(() => reportActions.link(report.id, incidentId), () => setIncidentId(''))}>
              Link
            </button>
          </div>
          {error && (
            <p className="form-error" role="alert" data-testid="report-error">
              {error}
            </p>
          )}
        </div>
      )}

      {report.possibleDuplicates.length > 0 && (
        <>
          <h3>Possible duplicates nearby</h3>
          <ul className="entries dup-list" data-testid="report-duplicates">
            {report.possibleDuplicates.map((d) => (
              <li key={d.id}>
                <div className="e-head">
                  <button className="link" onClick={() => onShowReport(d.id)}>
                    #{d.id}
                  </button>
                  <ReportStatusChip status={d.status} /> {d.distanceM} m · {formatAge(now - d.requestedAt)} ago
                </div>
                {d.description && <div className="e-text">{d.description}</div>}
              </li>
            ))}
          </ul>
        </>
      )}

      <h3>Timeline</h3>
      <ol className="timeline" data-testid="report-timeline">
        {report.timeline.map((t) => (
          <li key={t.id}>
            <span className="t-time">{timeOf(t.at)}</span> <span className="t-actor">{t.actor}</span> {describeEntry(t, texts)}
          </li>
        ))}
      </ol>
    </aside>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** What audit rows point at by id: internal notes' and public updates' texts. */
interface EntryTexts {
  notes: ReadonlyMap<number, string>;
  updates: ReadonlyMap<string, string>;
}

/** One audit row as a line of the timeline. */
function describeEntry(entry: AuditEntry, texts: EntryTexts): string {
  const after = (entry.after ?? {}) as Record<string, unknown>;
  const quoted = (text: unknown) => (typeof text === 'string' && text ? `: “${text}”` : '');
  switch (entry.action) {
    case 'report.create':
      return `received the report (${String(after.source ?? '?')})`;
    case 'report.status': {
      const status = after.status as ReportStatus | undefined;
      const note = after.statusNotes ?? (after.updateId !== undefined ? texts.updates.get(String(after.updateId)) : undefined);
      return `${status ? `set status to ${REPORT_STATUS_LABELS[status] ?? status}` : 'published the status again'}${quoted(note)}`;
    }
    case 'report.note':
      return `added a public note${quoted(after.text)}`;
    case 'report.internal-note':
      return `added an internal note${quoted(typeof after.noteId === 'number' ? texts.notes.get(after.noteId) : undefined)}`;
    case 'report.expected':
      return typeof after.expectedAt === 'number' ? `expects it done by ${dateTimeOf(after.expectedAt)}` : 'cleared the expected date';
    case 'report.duplicate':
      return `marked it a duplicate of #${String(after.of ?? '?')}`;
    case 'report.link':
      return `linked incident ${String(after.incidentId ?? '?')}`;
    default:
      return entry.action;
  }
}
