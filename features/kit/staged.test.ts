// Staged work: the same result run straight through or paused between
// stages, and the pauses come where the stages are.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finish, finishPaused, isStaged, type Staged, stagesOf } from './staged.ts';

function* counted(log: string[]): Staged<number> {
  log.push('a');
  yield;
  log.push('b');
  yield;
  log.push('c');
  return 42;
}

test('finish runs every stage at once; a plain value passes through', () => {
  const log: string[] = [];
  assert.is(finish(counted(log)), 42);
  assert.equal(log, ['a', 'b', 'c']);
  assert.is(finish(7), 7);
  assert.not.ok(isStaged({ kind: 'response' }));
  assert.not.ok(isStaged(null));
});

test('finishPaused pauses once between each two stages, and the pause runs before the next stage', async () => {
  const log: string[] = [];
  const result = await finishPaused(counted(log), async () => {
    log.push('pause');
  });
  assert.is(result, 42);
  assert.equal(log, ['a', 'pause', 'b', 'pause', 'c']);
});

test('stagesOf takes a nested generator stage by stage, or a plain value whole', () => {
  const log: string[] = [];
  function* outer(): Staged<number> {
    const a = yield* stagesOf(counted(log));
    const b = yield* stagesOf(1);
    return a + b;
  }
  const it = outer();
  let pauses = 0;
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) {
      assert.is(r.value, 43);
      break;
    }
    pauses += 1;
  }
  assert.is(pauses, 2);
});

test('an error in a stage comes out of finish and finishPaused as thrown', async () => {
  function* failing(): Staged<number> {
    yield;
    throw new Error('stage 2 failed');
  }
  assert.throws(() => finish(failing()), /stage 2 failed/);
  try {
    await finishPaused(failing(), async () => {});
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match(String(err), /stage 2 failed/);
  }
});

test.run();
