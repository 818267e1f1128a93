// core/workflow: transitions, SLA due times, queue order. Pure: no store.
import { describe, expect, it } from 'vitest';
import { INCIDENT_CATEGORIES, INCIDENT_STATUSES, SEVERITIES, type Incident } from '@city/shared';
import { SLA_MS, WorkflowError, assertTransition, canTransition, compareQueue, dueAt, isOverdue } from '../../src/core/workflow.ts';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
const MIN = 60_000;

describe('canTransition', () => {
  const cases: [Incident['status'], Incident['status'], boolean][] = [
    ['open', 'acknowledged', true],
    ['open', 'in_progress', true],
    ['open', 'resolved', true],
    ['open', 'dismissed', true],
    ['acknowledged', 'in_progress', true],
    ['acknowledged', 'open', false],
    ['in_progress', 'acknowledged', false],
    ['in_progress', 'resolved', true],
    ['resolved', 'open', false],
    ['dismissed', 'resolved', false],
    ['open', 'open', false],
  ];
  it.each(cases)('%s -> %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('closes for good: nothing follows resolved or dismissed', () => {
    for (const to of INCIDENT_STATUSES) {
      expect(canTransition('resolved', to)).toBe(false);
      expect(canTransition('dismissed', to)).toBe(false);
    }
  });

  it('assertTransition throws a 409 WorkflowError naming what is allowed', () => {
    expect(() => assertTransition({ id: 'INC-1', status: 'open' }, 'acknowledged')).not.toThrow();
    const err = (() => {
      try {
        assertTransition({ id: 'INC-1', status: 'in_progress' }, 'acknowledged');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(WorkflowError);
    expect(err).toMatchObject({ httpStatus: 409, message: 'incident INC-1 is in_progress: cannot become acknowledged (allowed: resolved, dismissed)' });
    expect(() => assertTransition({ id: 'INC-2', status: 'resolved' }, 'dismissed')).toThrow('incident INC-2 is resolved: cannot become dismissed (it is closed)');
  });
});

describe('SLA', () => {
  it('has a time for every category and severity, more urgent never later', () => {
    for (const category of INCIDENT_CATEGORIES) {
      const times = SEVERITIES.map((s) => SLA_MS[category][s]);
      expect(times.every((t) => Number.isInteger(t) && t > 0), category).toBe(true);
      expect([...times].sort((a, b) => a - b), category).toEqual(times);
    }
  });

  it('gives a critical fire 15 minutes and a waste warning three days', () => {
    expect(dueAt('fire_smoke', 'critical', T0)).toBe(T0 + 15 * MIN);
    expect(dueAt('waste', 'warning', T0)).toBe(T0 + 72 * 60 * MIN);
    expect(SLA_MS.fire_smoke.critical).toBeLessThan(SLA_MS.device_offline.critical);
  });

  it('counts an incident overdue only while open', () => {
    expect(isOverdue({ status: 'open', dueAt: T0 }, T0)).toBe(false);
    expect(isOverdue({ status: 'open', dueAt: T0 }, T0 + 1)).toBe(true);
    expect(isOverdue({ status: 'acknowledged', dueAt: T0 }, T0 + 1)).toBe(false);
    expect(isOverdue({ status: 'open' }, T0 + 1)).toBe(false);
  });
});

describe('compareQueue', () => {
  const item = (id: string, status: Incident['status'], severity: Incident['severity'], openedAt: number) => ({ id, status, severity, openedAt });

  it('puts active before closed, then the most severe, then the oldest', () => {
    const queue = [
      item('closed-critical', 'resolved', 'critical', T0 - 10),
      item('minor-old', 'open', 'minor', T0 - 100),
      item('critical-new', 'in_progress', 'critical', T0),
      item('critical-old', 'open', 'critical', T0 - 5),
      item('warning', 'acknowledged', 'warning', T0 - 1000),
      item('dismissed-minor', 'dismissed', 'minor', T0),
      item('major', 'open', 'major', T0),
    ];
    expect([...queue].sort(compareQueue).map((i) => i.id)).toEqual([
      'critical-old',
      'critical-new',
      'major',
      'minor-old',
      'warning',
      'closed-critical',
      'dismissed-minor',
    ]);
  });

  it('breaks ties by id so the order is stable', () => {
    const a = item('INC-000002', 'open', 'major', T0);
    const b = item('INC-000001', 'open', 'major', T0);
    expect([a, b].sort(compareQueue).map((i) => i.id)).toEqual(['INC-000001', 'INC-000002']);
    expect(compareQueue(a, a)).toBe(0);
  });
});
