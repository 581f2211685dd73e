// Suites that need root (network namespaces, iptables, daemons) run their tests
// only as root; otherwise each is registered as skipped and the suite says why
// in one line. The test runner prints the skipped count.
import { type Test, test } from 'uvu';

export const isRoot = process.getuid?.() === 0;

/** `test` as root; otherwise `test.skip`, after one line naming the reason. */
export function rootTest(why: string, suite: Test = test): Test {
  if (isRoot) return suite;
  process.stdout.write(`SKIP (needs root): ${why}\n`);
  const skip = ((name: string, fn: Parameters<Test>[1]) => suite.skip(name, fn)) as Test;
  return Object.assign(skip, { skip: suite.skip, only: suite.only, before: suite.before, after: suite.after, run: suite.run });
}
