// What every operations service shares: one transaction per change with store errors turned into
// WorkflowErrors (their HTTP status kept), and change listeners told after the commit, each isolated.
import type { Logger } from '@city/shared';
import { WorkflowError } from '../core/workflow.ts';
import { OpsError } from './errors.ts';
import type { OpsRepositories, OpsStore } from './repositories.ts';

export async function inServiceTransaction<T>(store: OpsStore, fn: (tx: OpsRepositories) => Promise<T>): Promise<T> {
  try {
    return await store.transaction(fn);
  } catch (err) {
    if (err instanceof OpsError) throw new WorkflowError(err.httpStatus, err.message);
    throw err;
  }
}

/** Listeners of one kind of change; one that throws is logged and the others still hear it. */
export class ChangeListeners<A extends unknown[]> {
  private readonly listeners = new Set<(...args: A) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  add(listener: (...args: A) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(context: Record<string, unknown>, ...args: A): void {
    for (const listener of this.listeners) {
      try {
        listener(...args);
      } catch (err) {
        this.logger.error(`${this.what} change listener failed`, { listener: listener.name || 'anonymous', ...context, err });
      }
    }
  }
}
