// The incident queue beside the map: most severe and longest waiting first, with filters.
import './incidents.css';
import { useMemo, useState } from 'react';
import { SEVERITIES, type Incident, type Severity } from '@city/shared/incidents';
import { countActive, dueText, queue, STATUS_LABELS, type IncidentFilter } from '../../core/incident-store.ts';
import { formatAge } from '../../core/units.ts';
import { useNow } from '../use-now.ts';

export interface IncidentQueueProps {
  incidents: ReadonlyMap<string, Incident>;
  username: string;
  districtNames: ReadonlyMap<string, string>;
  onSelect: (id: string) => void;
  limit?: number;
}

export function IncidentQueue({ incidents, username, districtNames, onSelect, limit = 40 }: IncidentQueueProps) {
  const now = useNow(5000);
  const [severities, setSeverities] = useState<ReadonlySet<Severity>>(() => new Set(SEVERITIES));
  const [statuses, setStatuses] = useState<IncidentFilter['statuses']>('active');
  const [mine, setMine] = useState(false);
  const [text, setText] = useState('');
  const filter = useMemo<IncidentFilter>(
    () => ({ severities, statuses, ...(mine ? { assignee: username } : {}), text: text.trim() }),
    [severities, statuses, mine, username, text],
  );
  const rows = useMemo(() => queue(incidents, filter), [incidents, filter]);
  const counts = useMemo(() => countActive(incidents.values()), [incidents]);
  const toggle = (s: Severity) =>
    setSeverities((prev) => {
      const next = new Set(prev);
      if (next.has(s)) next.delete(s);
      else next.add(s);
      return next;
    });

  return (
    <div className="queue" data-testid="incident-queue">
      <div className="queue-filters">
        {SEVERITIES.map((s) => (
          <button key={s} className={`chip sev-${s} ${severities.has(s) ? 'on' : ''}`} onClick={() => toggle(s)} aria-pressed={severities.has(s)}>
            {s} <span className="n">{counts[s]}</span>
          </button>
        ))}
      </div>
      <div className="queue-filters">
        <div className="segmented">
          <button className={statuses === 'active' ? 'on' : ''} onClick={() => setStatuses('active')}>
            Active
          </button>
          <button className={statuses === 'all' ? 'on' : ''} onClick={() => setStatuses('all')}>
            Incl. closed
          </button>
        </div>
        <button className={`chip ${mine ? 'on' : ''}`} onClick={() => setMine((m) => !m)} aria-pressed={mine}>
          Mine
        </button>
        <input className="search" placeholder="Search…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Search incidents" />
      </div>
      {rows.length === 0 ? (
        <p className="all-clear">{incidents.size === 0 ? 'No incidents' : 'No incidents match the filters'}</p>
      ) : (
        <ul className="incident-rows">
          {rows.slice(0, limit).map((i) => {
            const due = dueText(i, now);
            return (
              <li key={i.id} data-testid="incident-row" data-incident-id={i.id} data-status={i.status}>
                <button onClick={() => onSelect(i.id)} className={i.severity === 'critical' && i.status === 'open' ? 'flash' : ''}>
                  <span className={`bar sev-bg-${i.severity}`} />
                  <span className="a-main">
                    <span className="i-title">{i.title}</span>
                    <span className="a-sub">
                      {i.id} · {(i.district && districtNames.get(i.district)) ?? i.district ?? 'no district'}
                      {i.assignee ? ` · ${i.assignee}` : ''}
                      {i.evidence.count > 1 ? ` · ×${i.evidence.count}` : ''}
                    </span>
                  </span>
                  <span className="a-side">
                    <span className={`a-state sev-text-${i.severity}`}>{i.severity}</span>
                    <span className={`status-tag status-${i.status}`}>{STATUS_LABELS[i.status]}</span>
                    <span className={`a-age ${due?.overdue ? 'overdue' : ''}`}>{due ? due.text : `${formatAge(now - i.openedAt)} ago`}</span>
                  </span>
                </button>
              </li>
            );
          })}
          {rows.length > limit && <li className="muted more">and {rows.length - limit} more</li>}
        </ul>
      )}
    </div>
  );
}
