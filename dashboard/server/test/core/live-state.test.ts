import { describe, expect, it } from 'vitest';
import type { CameraEvent, Device, Reading } from '@city/shared';
import { SILENCE_LIMIT_MS } from '@city/shared/thresholds';
import { LiveState } from '../../src/core/live-state.ts';

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);

const device = (id: string, over: Partial<Device> = {}): Device => ({
  id,
  kind: 'air_quality',
  role: 'device',
  position: { lat: 41.88, lon: -87.63 },
  district: 'loop',
  topicPrefixes: [],
  hasSecret: true,
  createdAt: NOW - 86_400_000,
  online: true,
  ...over,
});

const reading = (deviceId: string, observedAt: number, metrics: Record<string, number>, over: Partial<Reading> = {}): Reading => ({
  deviceId,
  kind: 'air_quality',
  observedAt,
  metrics,
  ...over,
});

describe('LiveState', () => {
  it('lists registry devices, not services or gateways', () => {
    const state = new LiveState();
    const { changed } = state.syncRegistry(
      [device('aq-1'), device('ingest', { role: 'service', kind: 'generic' }), device('nvr', { role: 'gateway', kind: 'generic' })],
      NOW,
    );
    expect(changed.map((d) => d.id)).toEqual(['aq-1']);
    expect(state.all(NOW)).toEqual([
      { id: 'aq-1', kind: 'air_quality', position: { lat: 41.88, lon: -87.63 }, district: 'loop', state: 'ok', online: true, metrics: {} },
    ]);
  });

  it('keeps the latest value per metric and the state they give', () => {
    const state = new LiveState();
    state.syncRegistry([device('aq-1')], NOW);
    expect(state.applyReading(reading('aq-1', NOW - 2000, { pm25_ugm3: 10, no2_ugm3: 30 }), NOW)).toMatchObject({ state: 'ok', lastReadingAt: NOW - 2000 });
    const s = state.applyReading(reading('aq-1', NOW - 1000, { pm25_ugm3: 60 }), NOW);
    expect(s).toMatchObject({ state: 'alarm', metrics: { pm25_ugm3: 60, no2_ugm3: 30 }, lastReadingAt: NOW - 1000 });
    // a late (replayed) reading changes nothing
    expect(state.applyReading(reading('aq-1', NOW - 5000, { pm25_ugm3: 1 }), NOW)).toBeUndefined();
    expect(state.get('aq-1', NOW)?.metrics.pm25_ugm3).toBe(60);
  });

  it('follows the broker status of devices that log in', () => {
    const state = new LiveState();
    state.syncRegistry([device('aq-1', { online: false })], NOW);
    expect(state.get('aq-1', NOW)?.state).toBe('offline');
    expect(state.setConnected('aq-1', true, NOW)).toMatchObject({ online: true, state: 'ok' });
    expect(state.setConnected('aq-1', true, NOW)).toBeUndefined();
    expect(state.setConnected('unknown', true, NOW)).toBeUndefined();
    expect(state.setConnected('aq-1', false, NOW)).toMatchObject({ online: false, state: 'offline' });
  });

  it('devices behind a gateway are online while they report; sweep notices the silence', () => {
    const state = new LiveState();
    state.syncRegistry([device('lora-1', { kind: 'waste_bin', hasSecret: false, online: false })], NOW);
    expect(state.get('lora-1', NOW)?.online).toBe(false);
    state.applyReading(reading('lora-1', NOW, { fill_pct: 85 }, { kind: 'waste_bin' }), NOW);
    expect(state.get('lora-1', NOW)).toMatchObject({ online: true, state: 'warning' });
    expect(state.sweep(NOW + 1000)).toEqual([]);
    const later = NOW + SILENCE_LIMIT_MS.waste_bin + 1;
    expect(state.sweep(later)).toMatchObject([{ id: 'lora-1', state: 'offline', online: false }]);
    expect(state.sweep(later + 1000)).toEqual([]);
  });

  it('camera detections and snapshots', () => {
    const state = new LiveState();
    state.syncRegistry([device('cam-1', { kind: 'camera' })], NOW);
    const event: CameraEvent = { cameraId: 'cam-1', eventId: 'e1', phase: 'new', label: 'person', score: 0.9, observedAt: NOW, zones: [], hasSnapshot: false };
    expect(state.applyCameraEvent(event, NOW)).toMatchObject({ lastDetection: { label: 'person', score: 0.9, at: NOW }, hasSnapshot: false });
    expect(state.applyCameraEvent({ ...event, label: 'car', observedAt: NOW - 10 }, NOW)).toBeUndefined();
    expect(state.noteSnapshot('cam-1', NOW)).toMatchObject({ hasSnapshot: true });
    expect(state.noteSnapshot('cam-1', NOW)).toBeUndefined();
  });

  it('shows a device known only from its readings until the registry lists it, and drops listed ones removed', () => {
    const state = new LiveState();
    state.applyReading(reading('new-1', NOW, { pm25_ugm3: 5 }, { district: 'loop' }), NOW);
    expect(state.syncRegistry([], NOW).removed).toEqual([]);
    expect(state.get('new-1', NOW)).toMatchObject({ online: true, district: 'loop' });
    const { changed } = state.syncRegistry([device('new-1', { hasSecret: false, online: false, position: { lat: 41.9, lon: -87.6 } })], NOW);
    expect(changed).toMatchObject([{ id: 'new-1', position: { lat: 41.9, lon: -87.6 } }]);
    expect(state.syncRegistry([], NOW).removed).toEqual(['new-1']);
    expect(state.size).toBe(0);
  });
});
