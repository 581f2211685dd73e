// uvu suites of tests that need root (network namespaces, iptables, daemons).
// As another user every test is registered as skipped (uvu counts it under
// "Skipped", not as passed or failed) and the suite prints one line saying why.
import { suite, type Test } from 'uvu';

export const isRoot = process.getuid?.() === 0;

export function rootSuite(name: string): Test {
  const real = suite(name);
  if (isRoot) return real;
  const skip = (title?: string) => real.skip(title);
  const noop = Object.assign(() => {}, { each: () => {} });
  return Object.assign(skip, {
    only: skip,
    skip,
    before: noop,
    after: noop,
    run: () => {
      console.log(`${name}: skipped, needs root (network namespaces); running as uid ${process.getuid?.()}`);
      real.run();
    },
  }) as unknown as Test;
}
