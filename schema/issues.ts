import type { z } from 'zod';

/** One problem with the input: where (a dotted JSON path) and what. */
export interface Issue {
  path: string;
  message: string;
}

export const MAX_ISSUES = 500;

export function fromZod(error: z.ZodError): Issue[] {
  return fromZodIssues(error.issues);
}

export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): Issue[] {
  return issues.slice(0, MAX_ISSUES).map((i) => ({
    // record keys come from the body: keep them short
    path: i.path.map((seg) => String(seg).slice(0, 64)).join('.') || '(body)',
    message:
      i.code === 'invalid_key'
        ? `key ${JSON.stringify(String(i.path.at(-1)).slice(0, 64))} is invalid: ${i.issues[0]?.message ?? i.message}`
        : i.message,
  }));
}

/** The JSON path of the body entry a model object (network, subnet, allocation, address) came from. */
export type PathOf = (o: object, fallback: string) => string;
