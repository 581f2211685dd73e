// Errors the proxy raises for itself, and how any error is written into a log field.

/** A new upstream connection was not established within connectTimeoutMs. */
export class ConnectTimeout extends Error {
  override name = 'ConnectTimeout';
  readonly code = 'ECONNECTTIMEOUT';
}

/** The exchange outlived totalTimeoutMs (the reason of its abort signal). */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

/** The client closed its connection before the response was over. */
export class ClientGone extends Error {
  override name = 'ClientGone';
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
