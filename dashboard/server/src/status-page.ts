// A plain status page: what runs and which devices are online. Replaced by the live map later.
import type { Device } from '@city/shared';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderStatusPage(devices: Device[], facts: Record<string, string>): string {
  const online = devices.filter((d) => d.online).length;
  const rows = devices
    .map(
      (d) => `<tr><td>${escapeHtml(d.id)}</td><td>${d.kind}</td><td>${d.role}</td><td>${escapeHtml(d.district ?? '')}</td>
<td class="${d.online ? 'on' : 'off'}">${d.online ? 'online' : 'offline'}</td>
<td>${d.lastSeenAt ? new Date(d.lastSeenAt).toISOString().replace('T', ' ').slice(0, 19) : ''}</td></tr>`,
    )
    .join('\n');
  const factRows = Object.entries(facts)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>City operations — status</title><style>
body{background:#0b1220;color:#dbe4f0;font:15px/1.4 system-ui,sans-serif;margin:2rem}
h1{font-weight:600;margin:0 0 1rem} dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{color:#8aa0bb} table{border-collapse:collapse;margin-top:1rem} td,th{padding:.25rem .8rem;text-align:left;border-bottom:1px solid #1e2a3d}
.on{color:#4ade80}.off{color:#f87171}
</style></head><body><h1>City operations control centre</h1>
<dl>${factRows}<dt>devices</dt><dd>${devices.length} registered, ${online} online</dd></dl>
<p>Health: <a href="/healthz" style="color:#7dd3fc">/healthz</a> · Metrics: <a href="/metrics" style="color:#7dd3fc">/metrics</a> · Devices: <a href="/api/devices" style="color:#7dd3fc">/api/devices</a></p>
<table><thead><tr><th>device</th><th>kind</th><th>role</th><th>district</th><th>state</th><th>last seen (UTC)</th></tr></thead>
<tbody>${rows}</tbody></table></body></html>`;
}
