// The socket.io link to the dashboard server: snapshot and deltas kept in one device table, listeners
// told at most every `notifyIntervalMs` (a busy city sends many deltas; the wall needs a few frames a second).
import { io, type Socket } from 'socket.io-client';
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

export interface LiveStore {
  start(): void;
  stop(): void;
  subscribe(listener: () => void): () => void;
  getState(): LiveState;
}

export function createLiveStore(options: LiveStoreOptions = {}): LiveStore {
  const notifyIntervalMs = options.notifyIntervalMs ?? 250;
  const table: DeviceTable = new Map();
  const listeners = new Set<() => void>();
  let state: LiveState = { devices: table, connection: 'connecting', version: 0, clockOffsetMs: 0 };
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
  const setConnection = (connection: ConnectionState) => {
    state = { ...state, connection };
    scheduleNotify();
  };

  return {
    start() {
      socket = options.url ? io(options.url) : io();
      socket.on('connect', () => setConnection('connected'));
      socket.on('disconnect', () => setConnection('reconnecting'));
      socket.io.on('reconnect_attempt', () => setConnection('reconnecting'));
      socket.on('connect_error', () => setConnection(state.connection === 'connecting' ? 'connecting' : 'reconnecting'));
      socket.on('snapshot', (payload) => {
        if (!payload || !Array.isArray(payload.devices)) return;
        applySnapshot(table, payload.devices);
        state = { ...state, clockOffsetMs: payload.serverTime ? payload.serverTime - Date.now() : 0 };
        scheduleNotify();
      });
      socket.on('deltas', (payload) => {
        if (!payload || !Array.isArray(payload.devices)) return;
        applyDeltas(table, payload.devices, Array.isArray(payload.removed) ? payload.removed : []);
        state = { ...state, clockOffsetMs: payload.serverTime ? payload.serverTime - Date.now() : state.clockOffsetMs };
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
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getState: () => state,
  };

  function onVisible() {
    if (document.visibilityState === 'visible' && socket?.connected) socket.emit('resync');
  }
}
