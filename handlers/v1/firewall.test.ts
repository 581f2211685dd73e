import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Outcome, QueryResult } from '../context.ts';
import { getFirewallRules } from './firewall.ts';
import { context, request } from './test-kit.ts';

const listed = (stdout: string): QueryResult => ({ exitCode: 0, stdout, stderr: '' });

function respond(results: QueryResult[]): Response {
  const outcome: Outcome = getFirewallRules(request(), context());
  if (outcome.kind !== 'query') throw new Error(`expected a query, got ${outcome.kind}`);
  return outcome.respond(results);
}

test('GET /v1/firewall/rules: both families as text; probes sharing one listing share its body, a new listing gets its own', async () => {
  const v4 = listed('Chain INPUT (policy DROP)\n');
  const v6 = listed('Chain INPUT (policy DROP)\nACCEPT     all      ::/0  ::/0\n');
  const first = respond([v4, v6]);
  const second = respond([v4, v6]);
  assert.is(first.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.is(await first.text(), `${v4.stdout}${v6.stdout}`);
  assert.is(await second.text(), `${v4.stdout}${v6.stdout}`);
  // the same v4 listing with another v6 one (a later probe): not the memo of the first
  const v6later = listed('Chain INPUT (policy ACCEPT)\n');
  assert.is(await respond([v4, v6later]).text(), `${v4.stdout}${v6later.stdout}`);
  assert.is(await respond([listed('other v4\n'), v6]).text(), `other v4\n${v6.stdout}`);
});

test('GET /v1/firewall/rules: a failed listing is a 500', async () => {
  const res = respond([listed('x'), { exitCode: 1, stdout: '', stderr: 'no table' }]);
  assert.is(res.status, 500);
});

test.run();
