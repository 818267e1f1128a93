// What needs a look: devices in alarm, warning or offline, worst and most recent first.
import type { DeviceSnapshot } from '@city/shared/live-events';
import { STATE_SEVERITY } from '../core/device-store.ts';
import { formatAge, formatKind } from '../core/units.ts';
import { useNow } from './use-now.ts';

export interface AttentionListProps {
  devices: ReadonlyMap<string, DeviceSnapshot>;
  districtNames: ReadonlyMap<string, string>;
  clockOffsetMs: number;
  onSelect: (id: string) => void;
  limit?: number;
  /** inside another panel (the sidebar's devices tab): no panel of its own */
  embedded?: boolean;
}

export function AttentionList({ devices, districtNames, clockOffsetMs, onSelect, limit = 14, embedded = false }: AttentionListProps) {
  const now = useNow(1000) + clockOffsetMs;
  const rows = [...devices.values()]
    .filter((d) => d.state !== 'ok')
    .sort((a, b) => STATE_SEVERITY[b.state] - STATE_SEVERITY[a.state] || (b.lastReadingAt ?? 0) - (a.lastReadingAt ?? 0));
  return (
    <aside className={embedded ? 'attention' : 'panel attention'} data-testid="attention-list" aria-label="Needs attention">
      <h2 className="attention-title">
        Needs attention <span className="muted">{rows.length}</span>
      </h2>
      {rows.length === 0 ? (
        <p className="all-clear">All devices reporting normally</p>
      ) : (
        <ul>
          {rows.slice(0, limit).map((d) => (
            <li key={d.id}>
              <button onClick={() => onSelect(d.id)}>
                <span className={`bar state-${d.state}`} />
                <span className="a-main">
                  <span className="a-id">{d.id}</span>
                  <span className="a-sub">
                    {formatKind(d.kind)} · {(d.district && districtNames.get(d.district)) ?? d.district ?? 'no district'}
                  </span>
                </span>
                <span className="a-side">
                  <span className={`a-state tone-text-${d.state}`}>{d.state}</span>
                  <span className="a-age">{d.lastReadingAt ? `${formatAge(now - d.lastReadingAt)} ago` : 'never'}</span>
                </span>
              </button>
            </li>
          ))}
          {rows.length > limit && <li className="muted more">and {rows.length - limit} more</li>}
        </ul>
      )}
      <p className="hint">
        Click a device on the map for its details · <kbd>Esc</kbd> closes
      </p>
    </aside>
  );
}
