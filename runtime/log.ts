// Structured JSON logs, one line per event, on stderr.
export type LogFields = Record<string, unknown>;
export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

function emit(level: string, event: string, fields: LogFields | undefined): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
  process.stderr.write(`${line}\n`);
}

export const jsonLogger: Logger = {
  info: (event, fields) => emit('info', event, fields),
  warn: (event, fields) => emit('warn', event, fields),
  error: (event, fields) => emit('error', event, fields),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** A logger that keeps records in memory, for tests. */
export function memoryLogger(): Logger & { records: { level: string; event: string; fields: LogFields }[] } {
  const records: { level: string; event: string; fields: LogFields }[] = [];
  const push =
    (level: string) =>
    (event: string, fields: LogFields = {}) => {
      records.push({ level, event, fields });
    };
  return { records, info: push('info'), warn: push('warn'), error: push('error') };
}
