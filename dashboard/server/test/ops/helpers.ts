// Small helpers for the ops tests: a logger that keeps what it was told.
import type { Logger } from '@city/shared';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  ns: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A Logger writing into `lines` instead of stdout, so a test can read what was logged. */
export function recordingLogger(ns = 'test'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (name: string): Logger => ({
    debug: (msg, fields) => lines.push({ level: 'debug', ns: name, msg, ...(fields ? { fields } : {}) }),
    info: (msg, fields) => lines.push({ level: 'info', ns: name, msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => lines.push({ level: 'warn', ns: name, msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => lines.push({ level: 'error', ns: name, msg, ...(fields ? { fields } : {}) }),
    child: (child) => make(`${name}:${child}`),
  });
  return { logger: make(ns), lines };
}
