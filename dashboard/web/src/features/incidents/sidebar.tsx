// The right-hand column of the wall: the incident queue (after log-in) or the devices that need a
// look, one tab each.
import type { ReactNode } from 'react';
import type { Incident } from '@city/shared/incidents';
import { countActive } from '../../core/incident-store.ts';
import { LoginForm } from './login-form.tsx';
import { IncidentQueue } from './incident-queue.tsx';
import type { OperatorState } from './use-operator.ts';

export type SidebarTab = 'incidents' | 'devices';

export interface SidebarProps {
  tab: SidebarTab;
  onTab: (tab: SidebarTab) => void;
  operator: OperatorState;
  districtNames: ReadonlyMap<string, string>;
  devicesNeedingAttention: number;
  onSelectIncident: (id: string) => void;
  /** the device list (the attention list) for the devices tab */
  devices: ReactNode;
}

export function Sidebar({ tab, onTab, operator, districtNames, devicesNeedingAttention, onSelectIncident, devices }: SidebarProps) {
  const { session, live } = operator;
  const active = countActive(live.incidents.values()).active;
  return (
    <aside className="panel sidebar" aria-label="Incidents and devices">
      <div className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'incidents'} className={tab === 'incidents' ? 'on' : ''} onClick={() => onTab('incidents')} data-testid="tab-incidents">
          Incidents {session ? <span className="n">{active}</span> : null}
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
      ) : (
        <IncidentQueue incidents={live.incidents as ReadonlyMap<string, Incident>} username={session.user.username} districtNames={districtNames} onSelect={onSelectIncident} />
      )}
    </aside>
  );
}
