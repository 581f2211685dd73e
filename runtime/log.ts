// Structured JSON logs, one line per event, on stderr.
export type LogFields = Record<string, unknown>;
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** keys whose values never reach a log line: VPN pre-shared keys, metadata shared secrets, passwords */
const SECRET_KEY = /^(psk|pre_?shared_?keys?|secrets?|shared_?secrets?|.*_secret|passwords?|private_?key)$/i;

/** the fields with every secret-named value, at any depth, replaced by "(withheld)" */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '(withheld)' : redact(v, depth + 1);
  return out;
}

function emit(level: string, event: string, fields: LogFields | undefined): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...(redact(fields ?? {}) as LogFields) });
  process.stderr.write(`${line}\n`);
}

export const jsonLogger: Logger = {
  info: (event, fields) => emit('info', event, fields),
  warn: (event, fields) => emit('warn', event, fields),
  error: (event, fields) => emit('error', event, fields),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** A logger that keeps records in memory, for tests: redacted as the JSON lines are. */
export function memoryLogger(): Logger & { records: { level: string; event: string; fields: LogFields }[] } {
  const records: { level: string; event: string; fields: LogFields }[] = [];
  const push =
    (level: string) =>
    (event: string, fields: LogFields = {}) => {
      records.push({ level, event, fields: redact(fields) as LogFields });
    };
  return { records, info: push('info'), warn: push('warn'), error: push('error') };
}
