// The selected device: identity, state, latest values with units, time since the last reading
// (ticking), its history (1 h / 1 d / 7 d) and, for cameras, the latest snapshot and detection.
import { useEffect, useMemo, useState } from 'react';
import type { DeviceSnapshot } from '@city/shared/live-events';
import { cameraSnapshotUrl, fetchHistory, HISTORY_RANGES, type HistoryPoint, type HistoryRange } from '../adapters/api.ts';
import { describeMetric, formatAge, formatKind, formatNumber, formatValue } from '../core/units.ts';
import { HistoryChart } from './history-chart.tsx';
import { useNow } from './use-now.ts';

export interface DetailPanelProps {
  device: DeviceSnapshot | undefined;
  deviceId: string;
  districtName: string | undefined;
  clockOffsetMs: number;
  onClose: () => void;
}

export function DetailPanel({ device, deviceId, districtName, clockOffsetMs, onClose }: DetailPanelProps) {
  const now = useNow(1000) + clockOffsetMs;
  const metricNames = useMemo(() => Object.keys(device?.metrics ?? {}), [device?.metrics]);
  const [chosen, setChosen] = useState<string>();
  const metric = chosen && metricNames.includes(chosen) ? chosen : metricNames[0];
  const [range, setRange] = useState<HistoryRange>('1h');
  const [points, setPoints] = useState<HistoryPoint[]>([]);
  const [historyError, setHistoryError] = useState<string>();

  useEffect(() => setChosen(undefined), [deviceId]);

  useEffect(() => {
    if (!metric) return setPoints([]);
    const abort = new AbortController();
    setHistoryError(undefined);
    fetchHistory(deviceId, range, metric, abort.signal).then(
      (h) => setPoints(Array.isArray(h.points) ? h.points : []),
      (err: Error) => !abort.signal.aborted && setHistoryError(err.message),
    );
    return () => abort.abort();
  }, [deviceId, range, metric]);

  // the live reading extends the chart until the next fetch
  const series = useMemo(() => {
    const rows = points.map((p) => [p.t, metric ? (p.metrics?.[metric] ?? null) : null] as const).filter(([t]) => Number.isFinite(t));
    const last = rows[rows.length - 1]?.[0] ?? 0;
    const live = metric ? device?.metrics[metric] : undefined;
    if (device?.lastReadingAt && device.lastReadingAt > last && live !== undefined) rows.push([device.lastReadingAt, live]);
    return { times: rows.map((r) => r[0]), values: rows.map((r) => r[1]) };
  }, [points, metric, device?.lastReadingAt, device?.metrics]);

  const state = device?.state ?? 'offline';
  const camera = device?.kind === 'camera';
  const described = metric ? describeMetric(metric) : undefined;

  return (
    <aside className="panel" data-testid="detail-panel" aria-label={`Device ${deviceId}`}>
      <header className="panel-head">
        <div>
          <div className="panel-kind">{device ? formatKind(device.kind) : 'Device'}</div>
          <h2 className="panel-id" data-testid="detail-id">{deviceId}</h2>
        </div>
        <button className="close" onClick={onClose} title="Close (Esc)" aria-label="Close">
          ×
        </button>
      </header>
      {!device ? (
        <p className="muted">This device is no longer reported by the server.</p>
      ) : (
        <>
          <dl className="facts">
            <div>
              <dt>State</dt>
              <dd>
                <span className={`state-pill state-${state}`} data-testid="detail-state">
                  {state}
                </span>
              </dd>
            </div>
            <div>
              <dt>District</dt>
              <dd>{districtName ?? device.district ?? '—'}</dd>
            </div>
            <div>
              <dt>Last reading</dt>
              <dd data-testid="detail-age">{device.lastReadingAt ? `${formatAge(now - device.lastReadingAt)} ago` : 'never'}</dd>
            </div>
            <div>
              <dt>Link</dt>
              <dd>{device.online ? 'online' : 'offline'}</dd>
            </div>
          </dl>

          <h3>Latest values</h3>
          <ul className="values" data-testid="latest-values">
            {metricNames.length === 0 && <li className="muted">No reading yet</li>}
            {metricNames.map((name) => {
              const d = describeMetric(name);
              return (
                <li key={name} className={name === metric ? 'chosen' : ''}>
                  <button onClick={() => setChosen(name)} title={`${name}: show history`} data-metric={name}>
                    <span className="v-label">{d.label}</span>
                    <span className="v-value">{formatValue(name, device.metrics[name]!)}</span>
                  </button>
                </li>
              );
            })}
          </ul>

          {camera && (
            <section className="camera">
              <h3>Latest detection</h3>
              {device.lastDetection ? (
                <p className="detection">
                  <strong>{device.lastDetection.label}</strong> {formatNumber(device.lastDetection.score * 100)}% ·{' '}
                  {formatAge(now - device.lastDetection.at)} ago
                </p>
              ) : (
                <p className="muted">No detection yet</p>
              )}
              {device.hasSnapshot ? (
                <img className="snapshot" alt={`Latest snapshot of ${device.id}`} src={cameraSnapshotUrl(device.id, device.lastDetection?.at ?? device.lastReadingAt)} />
              ) : (
                <p className="muted">No snapshot</p>
              )}
            </section>
          )}

          {metric && described && (
            <section className="history">
              <div className="history-head">
                <h3>
                  {described.label}
                  {described.unit && <span className="muted"> · {described.unit}</span>}
                </h3>
                <div className="segmented" role="group" aria-label="History range">
                  {HISTORY_RANGES.map((r) => (
                    <button key={r} className={r === range ? 'on' : ''} onClick={() => setRange(r)}>
                      {r}
                    </button>
                  ))}
                </div>
              </div>
              {historyError ? <p className="muted">History unavailable ({historyError})</p> : <HistoryChart times={series.times} values={series.values} unit={described.unit} color="#4aa3ff" />}
            </section>
          )}
        </>
      )}
    </aside>
  );
}
