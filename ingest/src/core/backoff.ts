// Exponential back-off with jitter, so replicas retrying against the same recovering server spread out.

/** Delay before retry number `attempt` (0-based): base·2^attempt capped at maxMs, the upper half jittered. */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
