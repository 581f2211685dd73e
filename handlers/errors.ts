import type { Issue } from '../schema/issues.ts';

/** The one error type that becomes an HTTP answer: a status, a message, issues. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Issue[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON() {
    return { error: this.message, issues: this.issues, ...this.extra };
  }
}
