// The API's read-only commands: identical ones in flight are shared, and each
// runs as urgent (ahead of an apply's commands when the CPUs are busy).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Step } from '../features/kit/step.ts';
import type { CommandResult, RunOptions } from './host/port.ts';
import { FakeHost } from './host/simulated.ts';
import { memoryLogger } from './log.ts';
import { SharedQueries } from './queries.ts';

class Recording extends FakeHost {
  calls: { argv: string[]; opts: RunOptions }[] = [];
  override run(argv: string[], opts: RunOptions = {}): Promise<CommandResult> {
    this.calls.push({ argv, opts });
    return super.run(argv, opts);
  }
}

const listing: Step = { phase: 'check', kind: 'run', reason: 'list', argv: ['iptables', '-w', '2', '-L', '-n'] };

test('identical queries in flight share one urgent command; a later one runs again', async () => {
  const host = new Recording();
  const q = new SharedQueries(host, memoryLogger());
  const [a, b] = await Promise.all([q.run([listing]), q.run([listing])]);
  assert.is(a[0], b[0], 'one result for both');
  assert.is(host.calls.length, 1);
  assert.equal(host.calls[0]?.opts.urgent, true);
  assert.not.ok(host.calls[0]?.opts.background);
  await q.run([listing]);
  assert.is(host.calls.length, 2, 'a query after the first ended runs its own command');
});

test.run();
