// A small structured logger. Components receive one through their options;
// nothing logs through a global. Callers pass fields, never secrets: the
// logger does not scrub, so a token must not reach it in the first place.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** One line as given, for records that carry their own shape (the access log). */
  record(fields: LogFields): void;
}

export type LogFormat = 'json' | 'text';

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const min = order[options.level];
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (order[level] < min) return;
    write(options.format === 'json'
      ? JSON.stringify({ time: now().toISOString(), level, msg, ...fields }) + '\n'
      : `${now().toISOString()} ${level.toUpperCase()} ${msg}${formatText(fields)}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    record: (fields) => write(options.format === 'json'
      ? JSON.stringify(fields) + '\n'
      : formatText(fields).trimStart() + '\n'),
  };
}

function formatText(fields?: LogFields): string {
  if (!fields) return '';
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    out += ` ${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return out;
}

export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {}, record() {},
};
