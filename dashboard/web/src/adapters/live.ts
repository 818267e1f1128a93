// The socket.io link to the dashboard server: snapshot and deltas kept in one device table outside React.
// Two kinds of listener: `onDevices` hears every message as it arrives, with what it changed (the map,
// which turns that into small source diffs at its own pace); `subscribe` (React, useSyncExternalStore)
// is told at most every `notifyIntervalMs`: a busy city sends many deltas, header and panels need a few
// updates a second.
import { io, type Socket } from 'socket.io-client';
import { reconnectAfterServerDisconnect } from './reconnect.ts';
import type { ClientToServerEvents, DeviceSnapshot, ServerToClientEvents } from '@city/shared/live-events';
import { applyDeltas, applySnapshot, type DeviceTable } from '../core/device-store.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface LiveStoreOptions {
  /** how often listeners hear of changes at most, ms */
  notifyIntervalMs?: number;
  /** socket.io server URL; default the page's origin */
  url?: string;
}

export interface LiveState {
  devices: ReadonlyMap<string, DeviceSnapshot>;
  connection: ConnectionState;
  /** bumps at each change, for React's useSyncExternalStore */
  version: number;
  /** server clock minus ours, ms, from the latest message */
  clockOffsetMs: number;
}

/** What one message did to the device table. */
export type DeviceChange =
  | { type: 'snapshot' }
  | { type: 'deltas'; changed: readonly DeviceSnapshot[]; removed: readonly string[] };

export interface LiveStore {
  start(): void;
  stop(): void;
  /** React: `getState()` changed (at most every notifyIntervalMs) */
  subscribe(listener: () => void): () => void;
  getState(): LiveState;
  /** the device table as it is now, not a copy: read it, do not keep it */
  readonly devices: ReadonlyMap<string, DeviceSnapshot>;
  /** every snapshot and delta as it arrives; listeners run on the hot path and must be cheap */
  onDevices(listener: (change: DeviceChange) => void): () => void;
}

export function createLiveStore(options: LiveStoreOptions = {}): LiveStore {
  const notifyIntervalMs = options.notifyIntervalMs ?? 250;
  const table: DeviceTable = new Map();
  const listeners = new Set<() => void>();
  const deviceListeners = new Set<(change: DeviceChange) => void>();
  let state: LiveState = { devices: new Map(), connection: 'connecting', version: 0, clockOffsetMs: 0 };
  let socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastNotifyAt = 0;

  const notifyNow = () => {
    timer = undefined;
    lastNotifyAt = Date.now();
    // a new object (and a new Map) so React sees the change
    state = { ...state, devices: new Map(table), version: state.version + 1 };
    for (const l of listeners) {
      try {
        l();
      } catch (err) {
        console.error('live listener failed', err);
      }
    }
  };
  const scheduleNotify = () => {
    if (timer) return;
    timer = setTimeout(notifyNow, Math.max(0, lastNotifyAt + notifyIntervalMs - Date.now()));
  };
  const tellDevices = (change: DeviceChange) => {
    for (const l of deviceListeners) {
      try {
        l(change);
      } catch (err) {
        console.error('live device listener failed', err);
      }
    }
  };
  const setConnection = (connection: ConnectionState) => {
    state = { ...state, connection };
    scheduleNotify();
  };

  return {
    start() {
      socket = options.url ? io(options.url) : io();
      socket.on('connect', () => setConnection('connected'));
      socket.on('disconnect', (reason) => {
        setConnection('reconnecting');
        if (socket) reconnectAfterServerDisconnect(socket, reason);
      });
      socket.io.on('reconnect_attempt', () => setConnection('reconnecting'));
      socket.on('connect_error', () => setConnection(state.connection === 'connecting' ? 'connecting' : 'reconnecting'));
      socket.on('snapshot', (payload) => {
        if (!payload || !Array.isArray(payload.devices)) return;
        applySnapshot(table, payload.devices);
        state = { ...state, clockOffsetMs: payload.serverTime ? payload.serverTime - Date.now() : 0 };
        tellDevices({ type: 'snapshot' });
        scheduleNotify();
      });
      socket.on('deltas', (payload) => {
        if (!payload || !Array.isArray(payload.devices)) return;
        const removed = Array.isArray(payload.removed) ? payload.removed : [];
        applyDeltas(table, payload.devices, removed);
        state = { ...state, clockOffsetMs: payload.serverTime ? payload.serverTime - Date.now() : state.clockOffsetMs };
        tellDevices({ type: 'deltas', changed: payload.devices, removed });
        scheduleNotify();
      });
      // a tab back from the background asks for the full picture
      document.addEventListener('visibilitychange', onVisible);
    },
    stop() {
      document.removeEventListener('visibilitychange', onVisible);
      socket?.close();
      socket = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getState: () => state,
    devices: table,
    onDevices(listener) {
      deviceListeners.add(listener);
      return () => deviceListeners.delete(listener);
    },
  };

  function onVisible() {
    if (document.visibilityState === 'visible' && socket?.connected) socket.emit('resync');
  }
}
