// The right-hand column of the wall: the incident queue and the citizen reports (after log-in) or the
// devices that need a look, one tab each.
import type { ReactNode } from 'react';
import type { Incident } from '@city/shared/incidents';
import { countActive } from '../../core/incident-store.ts';
import { countOpenReports } from '../../core/report-store.ts';
import { ReportList } from '../reports/report-list.tsx';
import { LoginForm } from './login-form.tsx';
import { IncidentQueue } from './incident-queue.tsx';
import type { OperatorState } from './use-operator.ts';

export type SidebarTab = 'incidents' | 'reports' | 'devices';

export interface SidebarProps {
  tab: SidebarTab;
  onTab: (tab: SidebarTab) => void;
  operator: OperatorState;
  districtNames: ReadonlyMap<string, string>;
  devicesNeedingAttention: number;
  onSelectIncident: (id: string) => void;
  onSelectReport: (id: string) => void;
  /** the device list (the attention list) for the devices tab */
  devices: ReactNode;
}

export function Sidebar({ tab, onTab, operator, districtNames, devicesNeedingAttention, onSelectIncident, onSelectReport, devices }: SidebarProps) {
  const { session, live } = operator;
  const active = countActive(live.incidents.values()).active;
  const openReports = countOpenReports(live.reports.values());
  return (
    <aside className="panel sidebar" aria-label="Incidents, reports and devices">
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'incidents'} className={tab === 'incidents' ? 'on' : ''} onClick={() => onTab('incidents')} data-testid="tab-incidents">
          Incidents {session ? <span className="n">{active}</span> : null}
        </button>
        <button role="tab" aria-selected={tab === 'reports'} className={tab === 'reports' ? 'on' : ''} onClick={() => onTab('reports')} data-testid="tab-reports">
          Reports {session ? <span className="n">{openReports}</span> : null}
        </button>
        <button role="tab" aria-selected={tab === 'devices'} className={tab === 'devices' ? 'on' : ''} onClick={() => onTab('devices')} data-testid="tab-devices">
          Devices <span className="n">{devicesNeedingAttention}</span>
        </button>
        <span className="spacer" />
        {session && (
          <span className="user-chip">
            <button className="mute" onClick={() => operator.setMuted(!operator.muted)} aria-pressed={operator.muted} title="Sound for new critical incidents">
              {operator.muted ? '🔕' : '🔔'}
            </button>
            <span data-testid="user-name">{session.user.displayName || session.user.username}</span>
            <button onClick={() => void operator.logout()}>Log out</button>
          </span>
        )}
      </div>
      {tab === 'devices' ? (
        devices
      ) : session === undefined ? (
        <p className="muted">…</p>
      ) : session === null ? (
        <LoginForm onLoggedIn={operator.onLoggedIn} />
      ) : tab === 'reports' ? (
        <ReportList reports={live.reports} districtNames={districtNames} onSelect={onSelectReport} />
      ) : (
        <IncidentQueue incidents={live.incidents as ReadonlyMap<string, Incident>} username={session.user.username} districtNames={districtNames} onSelect={onSelectIncident} />
      )}
    </aside>
  );
}
