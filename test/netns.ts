// Throwaway network namespaces for tests, with names unique to this process
// so leftovers of an earlier run cannot collide.
import { execa } from 'execa';

let counter = 0;

export function uniqueName(prefix: string): string {
  counter += 1;
  return `t${process.pid.toString(36)}${prefix}${counter}`.slice(0, 15);
}

export async function withNetns<T>(prefix: string, fn: (name: string) => Promise<T>): Promise<T> {
  const name = uniqueName(prefix);
  await execa('ip', ['netns', 'add', name]);
  try {
    await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return await fn(name);
  } finally {
    await execa('ip', ['netns', 'del', name], { reject: false });
  }
}
