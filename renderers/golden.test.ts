// Golden files: each renderers/testdata/<case>/input.json with its expected
// rendered files under expected/. UPDATE_GOLDEN=1 rewrites them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goldenCases, renderCase, testdataDir } from '../test/golden-cases.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const dir = testdataDir;

for (const name of goldenCases()) {
  test(`golden ${name}`, () => {
    const { files } = renderCase(name);
    const expectedDir = path.join(dir, name, 'expected');
    if (update) {
      rmSync(expectedDir, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(path.dirname(path.join(expectedDir, f.path)), { recursive: true });
        writeFileSync(path.join(expectedDir, f.path), f.content);
      }
    }
    for (const f of files) {
      const file = path.join(expectedDir, f.path);
      assert.ok(existsSync(file), `${name}: missing golden file ${f.path} (run with UPDATE_GOLDEN=1)`);
      assert.fixture(f.content, readFileSync(file, 'utf8'), `${name}: ${f.path}`);
    }
  });
}

test('rendering is deterministic', () => {
  for (const name of ['seed-example', 'floating-ips']) {
    const a = renderCase(name).files;
    const b = renderCase(name).files;
    assert.equal(a, b);
  }
});

test.run();
