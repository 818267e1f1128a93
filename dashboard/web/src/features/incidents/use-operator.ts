// The operator's session and live incidents: asks the server who is logged in, opens the `/ops` link
// while someone is, and chimes for each new critical incident unless muted.
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { Incident } from '@city/shared/incidents';
import { currentSession, logout as apiLogout, type Session } from '../../adapters/ops-api.ts';
import { createOpsLive, type OpsLiveState } from '../../adapters/ops-live.ts';
import { playAlert } from './alert-sound.ts';

export interface OperatorState {
  /** undefined while asking, null when nobody is logged in */
  session: Session | null | undefined;
  live: OpsLiveState;
  muted: boolean;
  setMuted: (muted: boolean) => void;
  onLoggedIn: (session: Session) => void;
  logout: () => Promise<void>;
  /** an action's answer, shown before the broadcast arrives */
  applyLocal: (incident: Incident) => void;
}

const MUTE_KEY = 'city-ops:muted';

export function useOperator(): OperatorState {
  const ops = useMemo(() => createOpsLive(), []);
  const live = useSyncExternalStore(ops.subscribe, ops.getState);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [muted, setMutedState] = useState(() => localStorage.getItem(MUTE_KEY) === '1');

  useEffect(() => {
    currentSession().then(
      (s) => setSession(s ?? null),
      () => setSession(null),
    );
  }, []);

  useEffect(() => {
    if (!session) return;
    ops.start();
    return () => ops.stop();
  }, [session, ops]);

  useEffect(
    () =>
      ops.onOpened((incident) => {
        if (incident.severity === 'critical' && localStorage.getItem(MUTE_KEY) !== '1') playAlert();
      }),
    [ops],
  );

  const setMuted = useCallback((value: boolean) => {
    localStorage.setItem(MUTE_KEY, value ? '1' : '0');
    setMutedState(value);
  }, []);

  const logout = useCallback(async () => {
    await apiLogout().catch(() => undefined);
    setSession(null);
  }, []);

  return { session, live, muted, setMuted, onLoggedIn: setSession, logout, applyLocal: ops.applyLocal };
}
