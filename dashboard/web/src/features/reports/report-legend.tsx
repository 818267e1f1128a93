// The reports layer's legend: the three colour families of the rings on the map.
import './reports.css';
import type { CSSProperties } from 'react';
import { REPORT_STATUS_COLORS } from '../../core/report-store.ts';

const ENTRIES = [
  { label: 'new', color: REPORT_STATUS_COLORS.open },
  { label: 'being worked', color: REPORT_STATUS_COLORS.in_progress },
  { label: 'closed', color: REPORT_STATUS_COLORS.closed },
] as const;

export function ReportLegend() {
  return (
    <div className="report-legend" data-testid="report-legend">
      {ENTRIES.map((e) => (
        <span key={e.label}>
          <i style={{ '--rs': e.color } as CSSProperties} />
          {e.label}
        </span>
      ))}
    </div>
  );
}
