// Layer toggles and the state filter, each with its keyboard shortcut shown.
import { Fragment } from 'react';
import type { DeviceState } from '@city/shared/live-events';
import { STATES } from '../core/geojson.ts';
import type { StateCounts } from '../core/device-store.ts';
import { ReportLegend } from './reports/report-legend.tsx';

export interface Layers {
  sensors: boolean;
  cameras: boolean;
  districts: boolean;
  incidents: boolean;
  /** citizen reports (after log-in) */
  reports: boolean;
}

export const LAYER_KEYS: ReadonlyArray<{ layer: keyof Layers; label: string; keys: string[] }> = [
  { layer: 'sensors', label: 'Sensors', keys: ['1', 's'] },
  { layer: 'cameras', label: 'Cameras', keys: ['2', 'c'] },
  { layer: 'districts', label: 'Districts', keys: ['3', 'd'] },
  { layer: 'incidents', label: 'Incidents', keys: ['8', 'i'] },
  { layer: 'reports', label: 'Reports', keys: ['9', 'r'] },
];

export interface LayerControlsProps {
  layers: Layers;
  states: ReadonlySet<DeviceState>;
  stateCounts: Record<DeviceState, number>;
  onToggleLayer: (layer: keyof Layers) => void;
  onToggleState: (state: DeviceState) => void;
}

export function stateTotals(counts: StateCounts): Record<DeviceState, number> {
  return { ok: counts.ok, warning: counts.warning, alarm: counts.alarm, offline: counts.total - counts.ok - counts.warning - counts.alarm };
}

export function LayerControls({ layers, states, stateCounts, onToggleLayer, onToggleState }: LayerControlsProps) {
  return (
    <div className="controls" data-testid="layer-controls">
      <div className="group">
        <div className="group-title">Layers</div>
        {LAYER_KEYS.map(({ layer, label, keys }) => (
          <Fragment key={layer}>
            <button className={`toggle ${layers[layer] ? 'on' : ''}`} aria-pressed={layers[layer]} onClick={() => onToggleLayer(layer)} data-testid={`toggle-${layer}`}>
              <span className={`swatch swatch-${layer}`} />
              {label}
              <kbd>{keys[0]}</kbd>
              <kbd>{keys[1]!.toUpperCase()}</kbd>
            </button>
            {layer === 'reports' && layers.reports && <ReportLegend />}
          </Fragment>
        ))}
      </div>
      <div className="group">
        <div className="group-title">State</div>
        {STATES.map((s, i) => (
          <button key={s} className={`toggle ${states.has(s) ? 'on' : ''}`} aria-pressed={states.has(s)} onClick={() => onToggleState(s)} data-testid={`filter-${s}`}>
            <span className={`swatch state-dot state-${s}`} />
            {s}
            <span className="n">{stateCounts[s]}</span>
            <kbd>{i + 4}</kbd>
          </button>
        ))}
      </div>
    </div>
  );
}
