// Structured, namespaced logs: JSON lines when not on a terminal (containers), pretty on a TTY.
// Never pass a password or token in `fields`.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const colour: Record<string, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' };

let threshold: LogLevel = (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info';
if (!(threshold in rank)) threshold = 'info';

/** Set once at start-up from the validated config. */
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

function write(level: Exclude<LogLevel, 'silent'>, ns: string, msg: string, fields?: Record<string, unknown>) {
  if (rank[level] < rank[threshold]) return;
  const out = level === 'error' || level === 'warn' ? process.stderr : process.stdout;
  if (out.isTTY) {
    const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields, errorReplacer) : '';
    const time = new Date().toISOString().slice(11, 23);
    out.write(`${time} ${colour[level]}${level.padEnd(5)}\x1b[0m \x1b[1m${ns}\x1b[0m ${msg}${extra}\n`);
  } else {
    out.write(JSON.stringify({ time: new Date().toISOString(), level, ns, msg, ...fields }, errorReplacer) + '\n');
  }
}

function errorReplacer(_key: string, value: unknown) {
  return value instanceof Error ? { message: value.message, code: (value as NodeJS.ErrnoException).code } : value;
}

export function createLogger(ns: string): Logger {
  return {
    debug: (m, f) => write('debug', ns, m, f),
    info: (m, f) => write('info', ns, m, f),
    warn: (m, f) => write('warn', ns, m, f),
    error: (m, f) => write('error', ns, m, f),
    child: (name) => createLogger(`${ns}:${name}`),
  };
}
