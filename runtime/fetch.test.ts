import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchClasses } from '../handlers/fetch.ts';
import { makeKit } from '../test/api/kit.ts';
import { FETCH } from './fetch.ts';

test('the API answers with the server adapter\u2019s fetch classes (one implementation loaded), whatever the route', async () => {
  assert.is(fetchClasses(), FETCH);
  assert.is.not(FETCH.Response, globalThis.Response);
  const k = await makeKit();
  for (const [method, url] of [
    ['GET', '/v1/system/config'],
    ['GET', '/v1/system/interfaces'],
    ['GET', '/v1/firewall/rules'],
    ['HEAD', '/v1/system/config'],
    ['GET', '/v1/nowhere'],
    ['DELETE', '/v1/system/config'],
  ] as const) {
    const res = await k.fetch(method, url);
    assert.ok(res instanceof FETCH.Response, `${method} ${url}: ${res.constructor.name}`);
  }
  const bad = await k.fetch('PUT', '/v1/system/config', { raw: '{', headers: { 'content-type': 'application/json' } });
  assert.is(bad.status, 400);
  assert.ok(bad instanceof FETCH.Response);
});

test.run();
