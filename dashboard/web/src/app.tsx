// The control-room wall: header, map with operations layers, layer toggles, device detail.
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { FeatureCollection, Geometry } from 'geojson';
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

declare global {
  interface Window {
    /** opens a device's detail panel, for end-to-end tests and the browser console */
    __select?: (id: string | undefined) => void;
  }
}

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

  const [layers, setLayers] = useState<Layers>({ sensors: true, cameras: true, districts: true });
  const [states, setStates] = useState<ReadonlySet<DeviceState>>(() => new Set(STATES));
  const [selectedId, setSelectedId] = useState<string>();

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
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || (e.target as HTMLElement | null)?.closest?.('input, textarea, select')) return;
      const key = e.key.toLowerCase();
      if (key === 'escape') return setSelectedId(undefined);
      const layer = LAYER_KEYS.find((l) => l.keys.includes(key));
      if (layer) return toggleLayer(layer.layer);
      const n = Number(key);
      if (n >= 4 && n <= 7) toggleState(STATES[n - 4]!);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      delete window.__select;
    };
  }, [toggleLayer, toggleState]);

  const counts = useMemo(() => countStates(liveState.devices.values()), [liveState.devices]);
  const filter = useMemo<DeviceFilter>(() => ({ sensors: layers.sensors, cameras: layers.cameras, states }), [layers.sensors, layers.cameras, states]);
  const names = useMemo(() => (districts ? districtNames(districts) : new Map<string, string>()), [districts]);
  const selected = selectedId ? liveState.devices.get(selectedId) : undefined;

  return (
    <div className={`app ${selectedId ? 'with-panel' : ''}`}>
      <Header counts={counts} connection={liveState.connection} cityName="Chicago · central districts" />
      <main className="stage">
        {config ? (
          <MapView config={config} districts={districts} devices={liveState.devices} filter={filter} showDistricts={layers.districts} selectedId={selectedId} onSelect={setSelectedId} />
        ) : (
          <div className="map map-placeholder">{configError ? `Map configuration unavailable: ${configError}` : 'Loading map…'}</div>
        )}
        <LayerControls layers={layers} states={states} stateCounts={stateTotals(counts)} onToggleLayer={toggleLayer} onToggleState={toggleState} />
        {!selectedId && <AttentionList devices={liveState.devices} districtNames={names} clockOffsetMs={liveState.clockOffsetMs} onSelect={setSelectedId} />}
        {selectedId && (
          <DetailPanel
            key={selectedId}
            deviceId={selectedId}
            device={selected}
            districtName={selected?.district ? names.get(selected.district) : undefined}
            clockOffsetMs={liveState.clockOffsetMs}
            onClose={() => setSelectedId(undefined)}
          />
        )}
      </main>
    </div>
  );
}
