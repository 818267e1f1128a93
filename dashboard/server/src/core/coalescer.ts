// Per-client coalescing of device changes: a busy city changes hundreds of devices a second, a map
// needs a few frames a second. Changes wait in a map keyed by device id (the latest wins) and go out
// in one batch at most every `intervalMs`; the first change after a quiet spell goes out at once.
import type { DeviceSnapshot } from '@city/shared';

export interface DeltaBatch {
  devices: DeviceSnapshot[];
  removed: string[];
}

export interface CoalescerOptions {
  /** at most one flush per this many ms */
  intervalMs: number;
  flush: (batch: DeltaBatch) => void;
  /** clock, epoch ms */
  now?: () => number;
}

export class Coalescer {
  private readonly pending = new Map<string, DeviceSnapshot>();
  private readonly removed = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = -Infinity;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: CoalescerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** devices waiting to go out */
  get pendingCount(): number {
    return this.pending.size + this.removed.size;
  }

  push(snapshot: DeviceSnapshot): void {
    if (this.stopped) return;
    this.removed.delete(snapshot.id);
    this.pending.set(snapshot.id, snapshot);
    this.schedule();
  }

  remove(id: string): void {
    if (this.stopped) return;
    this.pending.delete(id);
    this.removed.add(id);
    this.schedule();
  }

  /** Forgets what waits: a full snapshot just went out and covers it. */
  clear(): void {
    this.pending.clear();
    this.removed.clear();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    const delayMs = Math.max(0, this.lastFlushAt + this.options.intervalMs - this.now());
    this.timer = setTimeout(() => this.flushNow(), delayMs);
  }

  private flushNow(): void {
    this.timer = undefined;
    if (this.stopped || this.pendingCount === 0) return;
    const batch: DeltaBatch = { devices: [...this.pending.values()], removed: [...this.removed] };
    this.clear();
    this.lastFlushAt = this.now();
    this.options.flush(batch);
  }
}
