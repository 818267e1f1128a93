// The operators' live link: socket.io namespace `/ops`, opened after log-in (the handshake carries the
// session cookie; the server refuses it without one). Incidents and citizen reports each arrive as a
// snapshot, then one change at a time; listeners hear of it at most every `notifyIntervalMs`.
import { io, type Socket } from 'socket.io-client';
import { reconnectAfterServerDisconnect } from './reconnect.ts';
import type { Incident, IncidentEventsToClient } from '@city/shared/incidents';
import type { LiveReport, ReportEventsToClient } from '@city/shared/reports';
import { applyIncidentChange, applyIncidentSnapshot, pruneClosed, type IncidentTable } from '../core/incident-store.ts';
import { applyReportChange, applyReportSnapshot, pruneClosedReports, type ReportTable } from '../core/report-store.ts';

export interface OpsLiveState {
  incidents: ReadonlyMap<string, Incident>;
  /** citizen reports: open ones and those closed in the last hour, without the reporter's contact */
  reports: ReadonlyMap<string, LiveReport>;
  connected: boolean;
  version: number;
}

export interface OpsLive {
  start(): void;
  stop(): void;
  subscribe(listener: () => void): () => void;
  getState(): OpsLiveState;
  /** called once per incident the server says was just opened (not for the snapshot) */
  onOpened(listener: (incident: Incident) => void): () => void;
  /** a change made here (an action's answer) shows at once, before the server's broadcast */
  applyLocal(incident: Incident): void;
}

export function createOpsLive(notifyIntervalMs = 200): OpsLive {
  const table: IncidentTable = new Map();
  const reportTable: ReportTable = new Map();
  const listeners = new Set<() => void>();
  const openedListeners = new Set<(i: Incident) => void>();
  let state: OpsLiveState = { incidents: new Map(), reports: new Map(), connected: false, version: 0 };
  let socket: Socket<IncidentEventsToClient & ReportEventsToClient> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pruneTimer: ReturnType<typeof setInterval> | undefined;

  const notifyNow = () => {
    timer = undefined;
    state = { ...state, incidents: new Map(table), reports: new Map(reportTable), version: state.version + 1 };
    for (const l of listeners) l();
  };
  const scheduleNotify = () => {
    timer ??= setTimeout(notifyNow, notifyIntervalMs);
  };

  return {
    start() {
      socket = io('/ops', { withCredentials: true });
      socket.on('connect', () => {
        state = { ...state, connected: true };
        scheduleNotify();
      });
      socket.on('disconnect', (reason) => {
        state = { ...state, connected: false };
        scheduleNotify();
        if (socket) reconnectAfterServerDisconnect(socket, reason);
      });
      socket.on('incidents', (payload) => {
        if (!payload || !Array.isArray(payload.incidents)) return;
        applyIncidentSnapshot(table, payload.incidents);
        scheduleNotify();
      });
      socket.on('incident', (payload) => {
        if (!payload?.incident) return;
        const result = applyIncidentChange(table, payload.incident);
        if (result === 'stale') return;
        if (payload.change === 'opened' && result === 'opened') for (const l of openedListeners) l(payload.incident);
        scheduleNotify();
      });
      socket.on('reports', (payload) => {
        if (!payload || !Array.isArray(payload.reports)) return;
        applyReportSnapshot(reportTable, payload.reports);
        scheduleNotify();
      });
      socket.on('report', (payload) => {
        if (!payload?.report) return;
        if (applyReportChange(reportTable, payload.report) !== 'stale') scheduleNotify();
      });
      pruneTimer = setInterval(() => {
        if (pruneClosed(table, Date.now()) + pruneClosedReports(reportTable, Date.now()) > 0) scheduleNotify();
      }, 60_000);
    },
    stop() {
      socket?.close();
      socket = undefined;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (pruneTimer) clearInterval(pruneTimer);
      table.clear();
      reportTable.clear();
      state = { incidents: new Map(), reports: new Map(), connected: false, version: state.version + 1 };
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getState: () => state,
    onOpened(listener) {
      openedListeners.add(listener);
      return () => openedListeners.delete(listener);
    },
    applyLocal(incident) {
      if (applyIncidentChange(table, incident) !== 'stale') scheduleNotify();
    },
  };
}
