// What every benchmark script needs: a progress line and a check that the machine is quiet.
import { readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let lastProgress = 0;
/** A live line on a terminal; otherwise a line every 2 s at most (or when forced). */
export function progress(text: string, force = false) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else if (text && (force || Date.now() - lastProgress > 2000)) {
    lastProgress = Date.now();
    process.stderr.write(`${text}\n`);
  }
}

/** Share of all CPUs busy over `ms`, from /proc/stat: other work on the machine skews every figure. */
export async function machineBusy(ms = 1000): Promise<number> {
  const sample = () => {
    const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { idle: t[3]! + t[4]!, total: t.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await sleep(ms);
  const b = sample();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}
