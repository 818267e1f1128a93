// A small time-bounded cache: values (including "not found") are kept for `ttlMs`, so changes made by
// another process (the devices CLI writing the registry) are seen within that time.

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V | undefined; expiresAtMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, nowMs: number, load: (key: string) => V | undefined): V | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAtMs > nowMs) return hit.value;
    const value = load(key);
    // a flood of distinct ids must not grow memory without bound: start over when full
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expiresAtMs: nowMs + this.ttlMs });
    return value;
  }

  /** Forgets one key, e.g. after this process changed it. */
  delete(key: string): void {
    this.entries.delete(key);
  }
}
