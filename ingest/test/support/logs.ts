// A Logger that keeps every entry, so tests can assert what was logged (and how often). Set
// TEST_LOG_LEVEL=debug|info|warn to also print them.
import type { Logger } from '@city/shared';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  ns: string;
  msg: string;
  fields?: Record<string, unknown>;
}

const RANK = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function captureLogger(ns = 'ingest', entries: LogEntry[] = []): Logger & { entries: LogEntry[] } {
  const print = process.env.TEST_LOG_LEVEL as keyof typeof RANK | undefined;
  const log = (level: LogEntry['level']) => (msg: string, fields?: Record<string, unknown>) => {
    entries.push({ level, ns, msg, fields });
    if (print && RANK[level] >= (RANK[print] ?? 100)) console.log(level, ns, msg, fields ? JSON.stringify(fields) : '');
  };
  return {
    entries,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (name: string) => captureLogger(`${ns}:${name}`, entries),
  };
}

/** Entries whose message contains `text`. */
export function logged(entries: LogEntry[], text: string, level?: LogEntry['level']): LogEntry[] {
  return entries.filter((e) => e.msg.includes(text) && (level === undefined || e.level === level));
}
