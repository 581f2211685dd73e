// GET /metrics: the Prometheus text format, on the API's own server, and the
// numbers move with what the agent does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeKit, payload } from './kit.ts';

/** the value of one sample, by its name and labels as written: undefined when absent */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('metrics are present, and move after PUTs (applied, refused) and requests', async () => {
  const k = await makeKit();
  const before = await (await k.fetch('GET', '/metrics')).text();
  assert.is(sample(before, 'appliance_apply_total{outcome="ok"}'), undefined);
  assert.is(sample(before, 'appliance_seconds_since_last_successful_apply'), -1);
  assert.ok((sample(before, 'process_resident_memory_bytes') ?? 0) > 1e6, 'RSS');
  assert.match(before, /^nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m);

  assert.is((await k.put(payload('seed-example'))).status, 200);
  assert.is((await k.put({ networks: 'not a list' })).status, 422);
  const variant = payload('seed-example');
  variant.networks[1].interface.addresses = ['172.24.4.9/24'];
  k.host.failOn('iptables-restore -w 5', { stderr: 'iptables-restore: line 9 failed' });
  assert.is((await k.put(variant)).status, 500);

  const res = await k.fetch('GET', '/metrics');
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const after = await res.text();
  assert.match(after, /^# TYPE appliance_apply_total counter$/m);
  assert.is(sample(after, 'appliance_apply_total{outcome="ok"}'), 1);
  assert.is(sample(after, 'appliance_apply_total{outcome="invalid"}'), 1);
  assert.is(sample(after, 'appliance_apply_total{outcome="step_failed"}'), 1);
  assert.is(sample(after, 'appliance_apply_duration_seconds_count{outcome="ok"}'), 1);
  assert.ok((sample(after, 'appliance_files_written_total') ?? 0) >= 3, 'files written');
  assert.ok((sample(after, 'appliance_plan_steps_total{kind="write-file"}') ?? 0) >= 3, 'write-file steps');
  assert.ok((sample(after, 'appliance_plan_steps_total{kind="daemon"}') ?? 0) >= 1, 'daemon steps');
  assert.ok((sample(after, 'appliance_daemon_restarts_total{daemon="dnsmasq"}') ?? 0) >= 1, 'dnsmasq started');
  assert.is(sample(after, 'appliance_daemon_up{daemon="dnsmasq"}'), 1);
  assert.is(sample(before, 'appliance_daemon_up{daemon="dnsmasq"}'), 0);
  const since = sample(after, 'appliance_seconds_since_last_successful_apply') ?? -1;
  assert.ok(since >= 0 && since < 60, `since ${since}`);
  assert.is(sample(after, 'appliance_http_requests_total{route="/v1/system/config",method="PUT",status="200"}'), 1);
  assert.is(sample(after, 'appliance_http_requests_total{route="/v1/system/config",method="PUT",status="422"}'), 1);
  assert.is(sample(after, 'appliance_http_requests_total{route="/metrics",method="GET",status="200"}'), 1);
  assert.is(sample(after, 'appliance_http_request_duration_seconds_count{route="/v1/system/config",method="PUT"}'), 3);

  await k.fetch('GET', '/v1/system/interface/ge0/');
  await k.fetch('GET', '/no/such/thing');
  const last = await (await k.fetch('GET', '/metrics')).text();
  assert.is(sample(last, 'appliance_http_requests_total{route="/v1/system/interface/:ifname",method="GET",status="200"}'), 1);
  assert.is(sample(last, 'appliance_http_requests_total{route="unmatched",method="GET",status="404"}'), 1);
  assert.is(sample(last, 'appliance_http_requests_total{route="/metrics",method="GET",status="200"}'), 2);
  await k.agent.close();
});

test('metrics answer only on the API: the route table holds them, HEAD and 405 as for any route', async () => {
  const k = await makeKit();
  assert.is((await k.fetch('HEAD', '/metrics')).status, 200);
  const post = await k.fetch('POST', '/metrics');
  assert.is(post.status, 405);
  assert.is(post.headers.get('allow'), 'GET, HEAD');
  await k.agent.close();
});

test.run();
