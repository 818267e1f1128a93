import { describe, expect, it } from 'vitest';
import { SEVERITIES, type Incident } from '@city/shared/incidents';
import {
  applyIncidentChange,
  applyIncidentSnapshot,
  CLOSED_VISIBLE_MS,
  countActive,
  dueText,
  pruneClosed,
  queue,
  unacknowledgedCritical,
  type IncidentTable,
} from '../src/core/incident-store.ts';

const T0 = 1_764_000_000_000;

function incident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    title: `incident ${id}`,
    category: 'air_quality',
    severity: 'major',
    status: 'open',
    source: 'rule',
    explanation: 'because',
    evidence: { count: 1, firstSeenAt: T0, lastSeenAt: T0 },
    linked: [],
    openedAt: T0,
    updatedAt: T0,
    autoResolve: true,
    ...over,
  };
}

const all = { severities: new Set(SEVERITIES), statuses: 'all' as const };

describe('incident table', () => {
  it('a snapshot replaces everything', () => {
    const table: IncidentTable = new Map([['a', incident('a')]]);
    applyIncidentSnapshot(table, [incident('b')]);
    expect([...table.keys()]).toEqual(['b']);
  });

  it('a change opens or updates; an older copy never overwrites a newer one', () => {
    const table: IncidentTable = new Map();
    expect(applyIncidentChange(table, incident('a', { updatedAt: T0 + 10 }))).toBe('opened');
    expect(applyIncidentChange(table, incident('a', { updatedAt: T0 + 20, status: 'acknowledged' }))).toBe('updated');
    expect(applyIncidentChange(table, incident('a', { updatedAt: T0 + 15, status: 'open' }))).toBe('stale');
    expect(table.get('a')?.status).toBe('acknowledged');
  });

  it('closed incidents drop out an hour after closing, active ones stay', () => {
    const table: IncidentTable = new Map([
      ['old', incident('old', { status: 'resolved', resolvedAt: T0 })],
      ['fresh', incident('fresh', { status: 'resolved', resolvedAt: T0 + CLOSED_VISIBLE_MS })],
      ['open', incident('open')],
    ]);
    expect(pruneClosed(table, T0 + CLOSED_VISIBLE_MS + 1)).toBe(1);
    expect([...table.keys()].sort()).toEqual(['fresh', 'open']);
  });
});

describe('queue', () => {
  it('puts active before closed, then the most severe, then the longest waiting', () => {
    const table: IncidentTable = new Map(
      [
        incident('minor-old', { severity: 'minor', openedAt: T0 }),
        incident('critical-new', { severity: 'critical', openedAt: T0 + 50 }),
        incident('critical-old', { severity: 'critical', openedAt: T0 + 10 }),
        incident('closed-critical', { severity: 'critical', status: 'resolved', openedAt: T0 }),
        incident('warning', { severity: 'warning' }),
      ].map((i) => [i.id, i]),
    );
    expect(queue(table, all).map((i) => i.id)).toEqual(['critical-old', 'critical-new', 'minor-old', 'warning', 'closed-critical']);
  });

  it('filters by severity, status, assignee and text', () => {
    const table: IncidentTable = new Map(
      [
        incident('a', { severity: 'critical', assignee: 'ana', district: 'loop' }),
        incident('b', { severity: 'minor', status: 'dismissed' }),
        incident('c', { severity: 'minor', title: 'Water rising fast' }),
      ].map((i) => [i.id, i]),
    );
    expect(queue(table, { severities: new Set(['minor'] as const), statuses: 'all' }).map((i) => i.id)).toEqual(['c', 'b']);
    expect(queue(table, { severities: new Set(SEVERITIES), statuses: 'active' }).map((i) => i.id)).toEqual(['a', 'c']);
    expect(queue(table, { ...all, assignee: 'ana' }).map((i) => i.id)).toEqual(['a']);
    expect(queue(table, { ...all, text: 'WATER' }).map((i) => i.id)).toEqual(['c']);
    expect(queue(table, { ...all, text: 'loop' }).map((i) => i.id)).toEqual(['a']);
  });

  it('counts active incidents per severity', () => {
    const counts = countActive([incident('a', { severity: 'critical' }), incident('b', { severity: 'critical', status: 'resolved' }), incident('c', { severity: 'minor', status: 'in_progress' })]);
    expect(counts).toEqual({ critical: 1, major: 0, minor: 1, warning: 0, active: 2 });
  });

  it('draws attention to critical incidents until someone acknowledges them', () => {
    const list = [incident('a', { severity: 'critical' }), incident('b', { severity: 'critical', status: 'acknowledged' }), incident('c')];
    expect(unacknowledgedCritical(list).map((i) => i.id)).toEqual(['a']);
  });

  it('says how long is left before the due time, and when it has passed', () => {
    expect(dueText(incident('a', { dueAt: T0 + 12 * 60_000 }), T0)).toEqual({ text: 'due in 12 min', overdue: false });
    expect(dueText(incident('a', { dueAt: T0 - 3 * 60_000 }), T0)).toEqual({ text: 'overdue 3 min', overdue: true });
    expect(dueText(incident('a', { dueAt: T0 + 5 * 3_600_000 }), T0)).toEqual({ text: 'due in 5 h', overdue: false });
    expect(dueText(incident('a', { dueAt: T0, status: 'resolved' }), T0)).toBeUndefined();
  });
});
