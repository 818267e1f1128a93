// A teardown registry: everything a test opens is registered here and closed after it, in reverse.
import { afterEach } from 'vitest';

type Closer = () => unknown | Promise<unknown>;
const closers: Closer[] = [];

/** Registers a closer and returns the value, so `const x = track(await open(), () => x.close())` reads well. */
export function track<T>(value: T, close: (value: T) => unknown | Promise<unknown>): T {
  closers.push(() => close(value));
  return value;
}

afterEach(async () => {
  while (closers.length > 0) {
    const close = closers.pop()!;
    try {
      await close();
    } catch (err) {
      console.error('teardown failed:', err);
    }
  }
});
