// Small helpers for the ops tests: a logger that keeps what it was told, a workflow refusal, an audit trail.
import { expect } from 'vitest';
import type { Logger } from '@city/shared';
import { WorkflowError, type OpsStore } from '../../src/ops/index.ts';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  ns: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A Logger writing into `lines` instead of stdout, so a test can read what was logged. */
export function recordingLogger(ns = 'test'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (name: string): Logger => ({
    debug: (msg, fields) => lines.push({ level: 'debug', ns: name, msg, ...(fields ? { fields } : {}) }),
    info: (msg, fields) => lines.push({ level: 'info', ns: name, msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => lines.push({ level: 'warn', ns: name, msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => lines.push({ level: 'error', ns: name, msg, ...(fields ? { fields } : {}) }),
    child: (child) => make(`${name}:${child}`),
  });
  return { logger: make(ns), lines };
}

/** The WorkflowError `promise` rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<WorkflowError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowError);
  return err as WorkflowError;
}

/** One entity's audit trail, oldest first: who did what, before and after. */
export const auditTrail = async (store: OpsStore, entityType: string, id: string) =>
  (await store.audit.list({ entityType, entityId: id, order: 'asc' })).map((e) => ({ action: e.action, actor: e.actor, before: e.before, after: e.after }));
