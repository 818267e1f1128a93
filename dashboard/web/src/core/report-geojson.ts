// Citizen reports as map features: one point per report with a position. Pure.
import type { Feature, FeatureCollection, Point } from 'geojson';
import type { ReportStatus } from '@city/shared/open311';
import type { LiveReport } from '@city/shared/reports';
import { isOpenReport } from './report-store.ts';

export interface ReportFeatureProps {
  id: string;
  status: ReportStatus;
  /** open-ish (not fixed, closed, duplicate, ...): drawn full, closed ones faded */
  open: boolean;
  /** status open: nobody has taken it up yet */
  fresh: boolean;
  selected: boolean;
  category: string;
}

export function reportFeatures(reports: ReadonlyMap<string, LiveReport>, selectedId: string | undefined): FeatureCollection<Point, ReportFeatureProps> {
  const features: Feature<Point, ReportFeatureProps>[] = [];
  for (const r of reports.values()) {
    if (!r.position) continue;
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [r.position.lon, r.position.lat] },
      properties: { id: r.id, status: r.status, open: isOpenReport(r.status), fresh: r.status === 'open', selected: r.id === selectedId, category: r.category },
    });
  }
  // closed first, then open, the selected one last: each draws above the one before
  const rank = (p: ReportFeatureProps) => (p.selected ? 2 : p.open ? 1 : 0);
  features.sort((a, b) => rank(a.properties) - rank(b.properties));
  return { type: 'FeatureCollection', features };
}
