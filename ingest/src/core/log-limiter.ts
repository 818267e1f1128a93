// Decides when a repeated event is worth a log line: the first occurrence of each key is logged, then at
// most one line per key per interval, carrying how many were suppressed in between.

export class LogLimiter {
  private readonly keys = new Map<string, { lastLoggedMs: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    /** distinct keys remembered; beyond it the oldest are forgotten (and may log again) */
    private readonly maxKeys = 10_000,
  ) {}

  /** log: whether to write a line now; suppressed: occurrences not logged since the last line. */
  check(key: string, nowMs: number): { log: boolean; suppressed: number } {
    const entry = this.keys.get(key);
    if (!entry) {
      this.keys.set(key, { lastLoggedMs: nowMs, suppressed: 0 });
      if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
      return { log: true, suppressed: 0 };
    }
    if (nowMs - entry.lastLoggedMs >= this.intervalMs) {
      const suppressed = entry.suppressed;
      entry.lastLoggedMs = nowMs;
      entry.suppressed = 0;
      return { log: true, suppressed };
    }
    entry.suppressed += 1;
    return { log: false, suppressed: entry.suppressed };
  }
}
