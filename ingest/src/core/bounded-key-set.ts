// A bounded LRU set of keys: remembers the most recent `maxKeys` keys, forgets the least recently seen.

export class BoundedKeySet {
  private readonly keys = new Map<string, true>();

  constructor(private readonly maxKeys: number) {
    if (maxKeys < 1) throw new RangeError('maxKeys must be at least 1');
  }

  has(key: string): boolean {
    if (!this.keys.has(key)) return false;
    // refresh: a key seen again stays longest
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.maxKeys) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
  }

  get size(): number {
    return this.keys.size;
  }
}
