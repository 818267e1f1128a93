// The control-room wall: header, map with operations layers, layer toggles, and one detail panel at a
// time (a device, an incident or a citizen report).
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type * as maplibregl from 'maplibre-gl';
import type { FeatureCollection, Geometry } from 'geojson';
import { isActive } from '@city/shared/incidents';
import type { DeviceState } from '@city/shared/live-events';
import { fetchConfig, fetchDistricts, type MapConfig } from './adapters/api.ts';
import { createLiveStore } from './adapters/live.ts';
import { countStates } from './core/device-store.ts';
import { districtNames, STATES, type DeviceFilter } from './core/geojson.ts';
import { AttentionList } from './features/attention-list.tsx';
import { DetailPanel } from './features/detail-panel.tsx';
import { Header } from './features/header.tsx';
import { LAYER_KEYS, LayerControls, stateTotals, type Layers } from './features/layer-controls.tsx';
import { MapView } from './features/map-view.tsx';
import { IncidentDetailPanel } from './features/incidents/incident-detail.tsx';
import { Sidebar, type SidebarTab } from './features/incidents/sidebar.tsx';
import { useOperator } from './features/incidents/use-operator.ts';
import { useIncidentLayer } from './features/incidents/incident-layer.ts';
import { countActive, unacknowledgedCritical } from './core/incident-store.ts';
import { countNewReports } from './core/report-store.ts';
import { ReportDetailPanel } from './features/reports/report-detail.tsx';
import { useReportLayer } from './features/reports/report-layer.ts';

declare global {
  interface Window {
    /** opens a device's detail panel, for end-to-end tests and the browser console */
    __select?: (id: string | undefined) => void;
    /** opens an incident's detail panel */
    __selectIncident?: (id: string | undefined) => void;
    /** opens a citizen report's detail panel */
    __selectReport?: (id: string | undefined) => void;
  }
}

/** What the detail panel shows: one thing at a time. */
type Selection = { kind: 'device' | 'incident' | 'report'; id: string } | undefined;

/** Selecting one kind replaces any selection; clearing it closes only a panel of that kind. */
const selectKind = (kind: NonNullable<Selection>['kind'], id: string | undefined) => (prev: Selection): Selection =>
  id ? { kind, id } : prev?.kind === kind ? undefined : prev;

const live = createLiveStore();

export function App() {
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, []);
  const liveState = useSyncExternalStore(live.subscribe, live.getState);

  const [config, setConfig] = useState<MapConfig>();
  const [configError, setConfigError] = useState<string>();
  const [districts, setDistricts] = useState<FeatureCollection<Geometry | null>>();
  useEffect(() => {
    fetchConfig().then(setConfig, (err: Error) => setConfigError(err.message));
    fetchDistricts().then(setDistricts, (err: Error) => console.warn('districts unavailable', err));
  }, []);

  const [layers, setLayers] = useState<Layers>({ sensors: true, cameras: true, districts: true, incidents: true, reports: true });
  const [states, setStates] = useState<ReadonlySet<DeviceState>>(() => new Set(STATES));
  const [selection, setSelection] = useState<Selection>();
  const selectedId = selection?.kind === 'device' ? selection.id : undefined;
  const selectedIncidentId = selection?.kind === 'incident' ? selection.id : undefined;
  const selectedReportId = selection?.kind === 'report' ? selection.id : undefined;
  const setSelectedId = useCallback((id: string | undefined) => setSelection(selectKind('device', id)), []);
  const selectIncident = useCallback((id: string | undefined) => setSelection(selectKind('incident', id)), []);
  const selectReport = useCallback((id: string | undefined) => setSelection(selectKind('report', id)), []);
  const operator = useOperator();
  const [chosenTab, setTab] = useState<SidebarTab>();
  const tab: SidebarTab = chosenTab ?? (operator.session ? 'incidents' : 'devices');
  const incidentCounts = useMemo(() => countActive(operator.live.incidents.values()), [operator.live.incidents]);
  const [map, setMap] = useState<maplibregl.Map>();
  useIncidentLayer(map, operator.live.incidents, layers.incidents, selectedIncidentId, selectIncident);
  // after the incidents: the report rings go under them
  useReportLayer(map, operator.live.reports, layers.reports, selectedReportId, selectReport);
  const newReports = useMemo(() => countNewReports(operator.live.reports.values()), [operator.live.reports]);
  const activeIncidents = useMemo(() => [...operator.live.incidents.values()].filter((i) => isActive(i.status)), [operator.live.incidents]);
  const alerting = useMemo(() => unacknowledgedCritical(operator.live.incidents.values()).length, [operator.live.incidents]);

  const toggleLayer = useCallback((layer: keyof Layers) => setLayers((l) => ({ ...l, [layer]: !l[layer] })), []);
  const toggleState = useCallback(
    (s: DeviceState) =>
      setStates((prev) => {
        const next = new Set(prev);
        if (next.has(s)) next.delete(s);
        else next.add(s);
        return next;
      }),
    [],
  );

  useEffect(() => {
    window.__select = setSelectedId;
    window.__selectIncident = selectIncident;
    window.__selectReport = selectReport;
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || (e.target as HTMLElement | null)?.closest?.('input, textarea, select')) return;
      const key = e.key.toLowerCase();
      if (key === 'escape') return setSelection(undefined);
      const layer = LAYER_KEYS.find((l) => l.keys.includes(key));
      if (layer) return toggleLayer(layer.layer);
      const n = Number(key);
      if (n >= 4 && n <= 7) toggleState(STATES[n - 4]!);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      delete window.__select;
      delete window.__selectIncident;
      delete window.__selectReport;
    };
  }, [toggleLayer, toggleState, setSelectedId, selectIncident, selectReport]);

  const counts = useMemo(() => countStates(liveState.devices.values()), [liveState.devices]);
  const filter = useMemo<DeviceFilter>(() => ({ sensors: layers.sensors, cameras: layers.cameras, states }), [layers.sensors, layers.cameras, states]);
  const names = useMemo(() => (districts ? districtNames(districts) : new Map<string, string>()), [districts]);
  const selected = selectedId ? liveState.devices.get(selectedId) : undefined;

  return (
    <div className={`app ${selection ? 'with-panel' : ''} ${alerting > 0 ? 'alerting' : ''}`}>
      <Header
        counts={counts}
        connection={liveState.connection}
        cityName="Chicago · central districts"
        incidents={operator.session ? { active: incidentCounts.active, critical: incidentCounts.critical } : undefined}
        reports={operator.session ? { fresh: newReports } : undefined}
      />
      <main className="stage">
        {config ? (
          <MapView config={config} districts={districts} live={live} filter={filter} showDistricts={layers.districts} selectedId={selectedId} onSelect={setSelectedId} onMapReady={setMap} />
        ) : (
          <div className="map map-placeholder">{configError ? `Map configuration unavailable: ${configError}` : 'Loading map…'}</div>
        )}
        <LayerControls layers={layers} states={states} stateCounts={stateTotals(counts)} onToggleLayer={toggleLayer} onToggleState={toggleState} />
        {selectedId ? (
          <DetailPanel
            key={selectedId}
            deviceId={selectedId}
            device={selected}
            districtName={selected?.district ? names.get(selected.district) : undefined}
            clockOffsetMs={liveState.clockOffsetMs}
            onClose={() => setSelectedId(undefined)}
          />
        ) : selectedIncidentId && operator.session ? (
          <IncidentDetailPanel
            key={selectedIncidentId}
            incidentId={selectedIncidentId}
            live={operator.live.incidents.get(selectedIncidentId)}
            user={operator.session.user}
            cityTimeZone={config?.timeZone}
            districtName={(() => {
              const d = operator.live.incidents.get(selectedIncidentId)?.district;
              return d ? names.get(d) : undefined;
            })()}
            onChanged={operator.applyLocal}
            onShowDevice={setSelectedId}
            onClose={() => selectIncident(undefined)}
          />
        ) : selectedReportId && operator.session ? (
          <ReportDetailPanel
            key={selectedReportId}
            reportId={selectedReportId}
            live={operator.live.reports.get(selectedReportId)}
            user={operator.session.user}
            districtName={(() => {
              const d = operator.live.reports.get(selectedReportId)?.district;
              return d ? names.get(d) : undefined;
            })()}
            activeIncidents={activeIncidents}
            onShowReport={selectReport}
            onShowIncident={selectIncident}
            onClose={() => selectReport(undefined)}
          />
        ) : (
          <Sidebar
            tab={tab}
            onTab={setTab}
            operator={{ ...operator, onLoggedIn: (s) => (operator.onLoggedIn(s), setTab('incidents')) }}
            districtNames={names}
            devicesNeedingAttention={counts.alarm + counts.warning + counts.offline}
            onSelectIncident={selectIncident}
            onSelectReport={selectReport}
            devices={<AttentionList embedded devices={liveState.devices} districtNames={names} clockOffsetMs={liveState.clockOffsetMs} onSelect={setSelectedId} />}
          />
        )}
      </main>
    </div>
  );
}
