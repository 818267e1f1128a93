// The citizen reports beside the map: newest first, open ones by default, with status, category and
// text filters. Citizen text is rendered as text (React escapes it), never as HTML.
import './reports.css';
import { useMemo, useState, type CSSProperties } from 'react';
import { REPORT_STATUS_LABELS, REPORT_STATUSES, type ReportStatus } from '@city/shared/open311';
import type { LiveReport } from '@city/shared/reports';
import { excerpt, REPORT_STATUS_COLORS, reportCategories, reportList, type ReportFilter } from '../../core/report-store.ts';
import { formatAge } from '../../core/units.ts';
import { useNow } from '../use-now.ts';

export interface ReportListProps {
  reports: ReadonlyMap<string, LiveReport>;
  districtNames: ReadonlyMap<string, string>;
  onSelect: (id: string) => void;
  limit?: number;
}

export const categoryLabel = (category: string) => category.replace(/_/g, ' ');

/** The status chip of the list and the detail: coloured like the report's ring on the map. */
export function ReportStatusChip({ status, testId }: { status: ReportStatus; testId?: string }) {
  return (
    <span className="report-status" style={{ '--rs': REPORT_STATUS_COLORS[status] } as CSSProperties} data-status={status} data-testid={testId}>
      {REPORT_STATUS_LABELS[status]}
    </span>
  );
}

export function ReportList({ reports, districtNames, onSelect, limit = 60 }: ReportListProps) {
  const now = useNow(5000);
  const [status, setStatus] = useState<ReportFilter['status']>('open');
  const [category, setCategory] = useState('');
  const [text, setText] = useState('');
  const filter = useMemo<ReportFilter>(() => ({ status, ...(category ? { category } : {}), text: text.trim() }), [status, category, text]);
  const rows = useMemo(() => reportList(reports, filter), [reports, filter]);
  const categories = useMemo(() => reportCategories(reports.values()), [reports]);

  return (
    <div className="queue" data-testid="report-list">
      <div className="queue-filters">
        <select className="filter-select" aria-label="Report status" value={status} onChange={(e) => setStatus(e.target.value as ReportFilter['status'])}>
          <option value="open">Open (not closed)</option>
          <option value="all">All statuses</option>
          {REPORT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {REPORT_STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <select className="filter-select" aria-label="Report category" value={category} onChange={(e) => setCategory(e.target.value)}>
          <option value="">All categories</option>
          {categories.map((c) => (
            <option key={c} value={c}>
              {categoryLabel(c)}
            </option>
          ))}
        </select>
        <input className="search" placeholder="Search…" value={text} onChange={(e) => setText(e.target.value)} aria-label="Search reports" />
      </div>
      {rows.length === 0 ? (
        <p className="all-clear">{reports.size === 0 ? 'No citizen reports' : 'No reports match the filters'}</p>
      ) : (
        <ul className="incident-rows report-rows">
          {rows.slice(0, limit).map((r) => (
            <li key={r.id} data-testid="report-row" data-report-id={r.id} data-status={r.status}>
              <button onClick={() => onSelect(r.id)}>
                <span className="bar" style={{ background: REPORT_STATUS_COLORS[r.status] }} />
                <span className="a-main">
                  <span className="i-title">{r.serviceName ?? categoryLabel(r.category)}</span>
                  <span className="a-sub">
                    {r.id} · {(r.district && districtNames.get(r.district)) ?? r.district ?? 'no district'}
                    {r.photoUrls.length > 0 ? ` · ${r.photoUrls.length} photo${r.photoUrls.length > 1 ? 's' : ''}` : ''}
                  </span>
                  {r.description && <span className="r-excerpt">{excerpt(r.description)}</span>}
                </span>
                <span className="a-side">
                  <ReportStatusChip status={r.status} />
                  <span className="a-age">{formatAge(now - r.requestedAt)} ago</span>
                </span>
              </button>
            </li>
          ))}
          {rows.length > limit && <li className="muted more">and {rows.length - limit} more</li>}
        </ul>
      )}
    </div>
  );
}
