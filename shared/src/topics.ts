// The one place that builds and parses MQTT topics. Topics are lowercase.

export const topics = {
  sensorUp: (deviceId: string) => `city/sensors/${deviceId}/up`,
  cameraEvents: (cameraId: string) => `city/cameras/${cameraId}/events`,
  cameraSnapshot: (cameraId: string) => `city/cameras/${cameraId}/snapshot`,
  deviceStatus: (deviceId: string) => `city/devices/${deviceId}/status`,
  deadLetter: (reason: string) => `city/deadletter/${reason}`,
  frigateEvents: () => 'frigate/events',
  frigateSnapshot: (camera: string, label: string) => `frigate/${camera}/${label}/snapshot`,
  ttsUplink: (app: string, tenant: string, device: string) => `v3/${app}@${tenant}/devices/${device}/up`,
} as const;

/** What ingest subscribes to. */
export const INGEST_SUBSCRIPTIONS = [
  'city/sensors/+/up',
  'city/cameras/+/events',
  'city/cameras/+/snapshot',
  'frigate/events',
  'frigate/+/+/snapshot',
  'v3/+/devices/+/up',
] as const;

export type ParsedTopic =
  | { type: 'sensor-up'; deviceId: string }
  | { type: 'camera-events'; cameraId: string }
  | { type: 'camera-snapshot'; cameraId: string }
  | { type: 'device-status'; deviceId: string }
  | { type: 'frigate-events' }
  | { type: 'frigate-snapshot'; camera: string; label: string }
  | { type: 'tts-uplink'; app: string; tenant: string; device: string }
  | { type: 'dead-letter'; reason: string }
  | { type: 'unknown' };

export function parseTopic(topic: string): ParsedTopic {
  const p = topic.split('/');
  if (p[0] === 'city') {
    if (p.length === 4 && p[1] === 'sensors' && p[3] === 'up') return { type: 'sensor-up', deviceId: p[2]! };
    if (p.length === 4 && p[1] === 'cameras' && p[3] === 'events') return { type: 'camera-events', cameraId: p[2]! };
    if (p.length === 4 && p[1] === 'cameras' && p[3] === 'snapshot') return { type: 'camera-snapshot', cameraId: p[2]! };
    if (p.length === 4 && p[1] === 'devices' && p[3] === 'status') return { type: 'device-status', deviceId: p[2]! };
    if (p.length === 3 && p[1] === 'deadletter') return { type: 'dead-letter', reason: p[2]! };
  }
  if (p[0] === 'frigate') {
    if (p.length === 2 && p[1] === 'events') return { type: 'frigate-events' };
    if (p.length === 4 && p[3] === 'snapshot') return { type: 'frigate-snapshot', camera: p[1]!, label: p[2]! };
  }
  if (p[0] === 'v3' && p.length === 5 && p[2] === 'devices' && p[4] === 'up') {
    const at = p[1]!.lastIndexOf('@');
    if (at > 0) return { type: 'tts-uplink', app: p[1]!.slice(0, at), tenant: p[1]!.slice(at + 1), device: p[3]! };
  }
  return { type: 'unknown' };
}
