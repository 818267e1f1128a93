// Zod issues as "path: expected X (got Y)", every one of them: a rules file is fixed in one pass when
// the admin sees the whole list.
import type { z } from 'zod';
import { describe } from '@city/shared/decoders/common';

const TYPE_PHRASES: Record<string, string> = {
  number: 'a finite number',
  int: 'an integer',
  string: 'a string',
  boolean: 'a boolean',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

export function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = [prefix, ...path.map(String)].filter((p) => p !== '');
  return parts.length === 0 ? 'rule' : parts.join('.');
}

function bound(kind: 'least' | 'most', inclusive: boolean, value: unknown, origin: string): string {
  if (origin === 'array') return `${kind === 'least' ? 'at least' : 'at most'} ${String(value)} item${Number(value) === 1 ? '' : 's'}`;
  if (origin === 'string') return `${kind === 'least' ? 'at least' : 'at most'} ${String(value)} characters`;
  if (kind === 'least') return `${inclusive ? 'at least' : 'more than'} ${String(value)}`;
  return `${inclusive ? 'at most' : 'less than'} ${String(value)}`;
}

/** Lower-case edit distance up to 2 (1 for short names, or "to" would suggest "id"), for "did you mean". */
function near(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const most = Math.min(x.length, y.length) <= 4 ? 1 : 2;
  if (Math.abs(x.length - y.length) > most) return false;
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[y.length]! <= most;
}

function unknownKey(at: string, key: string, knownFields: readonly string[]): string {
  const guess = knownFields.find((f) => near(f, key));
  const expected = guess ? `a known field such as "${guess}"` : 'a known field';
  return `${at}: expected ${expected} (got unknown field "${key}")`;
}

/** describe() but with the length of a list: "(got 0 items)" says more than "(got an array)". */
const gotText = (input: unknown) => `(got ${Array.isArray(input) ? `${input.length} items` : describe(input)})`;

/**
 * One line per issue (an unknown-keys issue gives one line per key, with a "did you mean" taken from
 * `knownFields`).
 */
export function issueLines(issues: readonly z.core.$ZodIssue[], prefix: string, knownFields: readonly string[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const at = joinPath(prefix, issue.path);
    const got = gotText(issue.input);
    switch (issue.code) {
      case 'invalid_type':
        lines.push(`${at}: expected ${TYPE_PHRASES[issue.expected] ?? issue.expected} ${got}`);
        break;
      case 'too_small':
        lines.push(`${at}: expected ${bound('least', issue.inclusive !== false, issue.minimum, issue.origin)} ${got}`);
        break;
      case 'too_big':
        lines.push(`${at}: expected ${bound('most', issue.inclusive !== false, issue.maximum, issue.origin)} ${got}`);
        break;
      case 'invalid_value':
        lines.push(`${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} ${got}`);
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys) lines.push(unknownKey(joinPath(prefix, [...issue.path, key]), key, knownFields));
        break;
      default:
        // invalid_format and custom checks: their message is written as the expectation
        lines.push(`${at}: expected ${issue.message} ${got}`);
    }
  }
  return lines;
}
