// A small seeded PRNG (mulberry32) and helpers. Everything the simulators generate comes from
// these, so the same seed gives the same fleet and the same readings.

/** A function returning floats in [0, 1). */
export type Rand = () => number;

/** mulberry32: 32-bit state, fast, good enough for simulation (not for secrets). */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts: derives independent seeds from a seed and names/numbers. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f; // separator, so ("ab", "c") differs from ("a", "bc")
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform float in [min, max). */
export function between(rand: Rand, min: number, max: number): number {
  return min + (max - min) * rand();
}

/** A uniform integer in [min, max]. */
export function intBetween(rand: Rand, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

export function pick<T>(rand: Rand, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: no items');
  return items[Math.floor(rand() * items.length)]!;
}

/** A standard normal sample (Box-Muller). */
export function gaussian(rand: Rand): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lowercase hex of n random bytes (ids, EUIs, correlation ids). */
export function hexBytes(rand: Rand, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return out;
}

/** A Fisher-Yates shuffled copy. */
export function shuffled<T>(rand: Rand, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
