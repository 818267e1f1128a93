import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './teardown.ts';

/** A fresh temporary directory removed after the test. */
export function tmpDir(prefix = 'city-test-'): string {
  return track(mkdtempSync(join(tmpdir(), prefix)), (dir) => rmSync(dir, { recursive: true, force: true }));
}
