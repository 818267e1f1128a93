// The wall header: title, live counts, connection, clock.
import type { StateCounts } from '../core/device-store.ts';
import type { ConnectionState } from '../adapters/live.ts';
import { useNow } from './use-now.ts';

export interface HeaderProps {
  counts: StateCounts;
  connection: ConnectionState;
  cityName: string;
  /** active incidents, once an operator is logged in */
  incidents?: { active: number; critical: number };
  /** new citizen reports (status open, nobody has taken them up), once an operator is logged in */
  reports?: { fresh: number };
}

export function Header({ counts, connection, cityName, incidents, reports }: HeaderProps) {
  const now = useNow(1000);
  const time = new Date(now).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const date = new Date(now).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' });
  return (
    <header className="top">
      <div className="brand">
        <div className="brand-mark" aria-hidden>
          ◉
        </div>
        <div>
          <h1>City operations control centre</h1>
          <div className="subtitle">{cityName}</div>
        </div>
      </div>
      <div className="counts" data-testid="counts">
        <Count label="Online" value={counts.online} tone="ok" testId="count-online" />
        <Count label="Offline" value={counts.offline} tone="offline" testId="count-offline" />
        <Count label="Alarms" value={counts.alarm} tone={counts.alarm > 0 ? 'alarm' : 'quiet'} testId="count-alarm" />
        <Count label="Warnings" value={counts.warning} tone={counts.warning > 0 ? 'warning' : 'quiet'} testId="count-warning" />
        <Count
          label={incidents && incidents.critical > 0 ? `Incidents · ${incidents.critical} critical` : 'Incidents'}
          value={incidents?.active ?? '—'}
          tone={!incidents || incidents.active === 0 ? 'quiet' : incidents.critical > 0 ? 'alarm' : 'warning'}
          testId="count-incidents"
        />
        <Count label={reports ? 'New reports' : 'Reports'} value={reports?.fresh ?? '—'} tone={!reports || reports.fresh === 0 ? 'quiet' : 'report'} testId="count-reports" />
      </div>
      <div className="right">
        <div className={`conn conn-${connection}`} data-testid="connection" role="status">
          <span className="dot" />
          {connection === 'connected' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </div>
        <div className="clock">
          <div className="time">{time}</div>
          <div className="date">{date}</div>
        </div>
      </div>
    </header>
  );
}

function Count({ label, value, tone, testId }: { label: string; value: number | string; tone: string; testId?: string }) {
  return (
    <div className={`count tone-${tone}`}>
      <div className="count-value" data-testid={testId}>
        {value}
      </div>
      <div className="count-label">{label}</div>
    </div>
  );
}
