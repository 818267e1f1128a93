// EnvReader: every problem listed at once, and never a secret in the message.
import { describe, expect, it } from 'vitest';
import { EnvReader } from '../src/config.ts';

const problemsOf = (env: EnvReader): string => {
  try {
    env.assertValid();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

describe('EnvReader.optionalUrl', () => {
  it('accepts the listed schemes and leaves an unset variable undefined', () => {
    const env = new EnvReader({ DATABASE_URL: 'postgres://city:pw@db:5432/city' });
    expect(env.optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:'])?.hostname).toBe('db');
    expect(env.optionalUrl('REDIS_URL', ['redis:'])).toBeUndefined();
    expect(problemsOf(env)).toBe('');
  });

  it('names a refused URL without its password', () => {
    const env = new EnvReader({ DATABASE_URL: 'mysql://city:s3cret-pw@db/city', REDIS_URL: 'not a url' });
    env.optionalUrl('DATABASE_URL', ['postgres:']);
    env.optionalUrl('REDIS_URL', ['redis:']);
    const message = problemsOf(env);
    expect(message).toContain('DATABASE_URL: expected a URL starting with postgres: (got "mysql://city:***@db/city")');
    expect(message).not.toContain('s3cret-pw');
    expect(message).toContain('REDIS_URL');
  });
});
