// Environment reading for every service. Each service's config.ts declares its variables through
// one EnvReader; every problem is collected, and start-up refuses to run with the whole list.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

interface IntOptions {
  min?: number;
  max?: number;
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  private problem(name: string, expected: string, got: string): undefined {
    this.problems.push(`${name}: expected ${expected} (got ${JSON.stringify(got)})`);
    return undefined;
  }

  optionalInt(name: string, { min = -Infinity, max = Infinity }: IntOptions = {}): number | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      const range = `${Number.isFinite(min) ? min : ''}..${Number.isFinite(max) ? max : ''}`;
      return this.problem(name, `an integer in ${range}`, raw);
    }
    return value;
  }

  int(name: string, fallback: number, options: IntOptions = {}): number {
    return this.optionalInt(name, options) ?? fallback;
  }

  /** A TCP port; 0 asks the OS for a free one (tests). */
  port(name: string, fallback: number): number {
    return this.int(name, fallback, { min: 0, max: 65535 });
  }

  optionalPort(name: string): number | undefined {
    return this.optionalInt(name, { min: 0, max: 65535 });
  }

  optionalStr(name: string): string | undefined {
    return this.raw(name);
  }

  str(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    return this.problem(name, 'true or false', raw) ?? fallback;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    return this.problem(name, `one of ${values.join(', ')}`, raw) ?? fallback;
  }

  optionalUrl(name: string, protocols: string[]): URL | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (protocols.includes(url.protocol)) return url;
    } catch {
      // reported below
    }
    // a URL may carry a password: the problem shows it as ***
    return this.problem(name, `a URL starting with ${protocols.join(' or ')}`, raw.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@'));
  }

  /** Records a problem that spans several variables. */
  require(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }

  /** Throws one ConfigError listing every problem found so far. */
  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }
}

/** For a process entry point: prints every configuration problem and exits with code 2. */
export function assertValidOrExit(env: EnvReader): void {
  try {
    env.assertValid();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}
