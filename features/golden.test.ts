// Golden files: each test/cases/<case>/input.json rendered, compared with the
// expected files in the folder of the feature that renders each one
// (features/<feature>/golden/<case>/). UPDATE_GOLDEN=1 rewrites them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { goldenCases, goldenFile, renderCase } from '../test/golden-cases.ts';
import { FEATURES } from './registry.ts';

const update = process.env.UPDATE_GOLDEN === '1';

for (const name of goldenCases()) {
  test(`golden ${name}`, () => {
    const { files } = renderCase(name);
    if (update) {
      for (const f of FEATURES) rmSync(path.dirname(goldenFile(f.name, name, 'x')), { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(path.dirname(goldenFile(f.feature, name, f.path)), { recursive: true });
        writeFileSync(goldenFile(f.feature, name, f.path), f.content);
      }
    }
    for (const f of files) {
      const file = goldenFile(f.feature, name, f.path);
      assert.ok(existsSync(file), `${name}: missing golden file ${file} (run with UPDATE_GOLDEN=1)`);
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

test('every rendered file belongs to the feature that declares its path', () => {
  const { files } = renderCase('seed-example');
  for (const f of files) {
    const owner = FEATURES.find((x) => x.paths.includes(f.path));
    assert.is(owner?.name, f.feature, f.path);
  }
});

test.run();
