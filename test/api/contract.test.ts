// The HTTP contract, in-process: paths with and without a slash, HEAD, 404,
// 405 with Allow, 415/413/400/422, dry runs, status probes and the firewall
// listing, all decided by the handlers over a fake host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_BODY_BYTES } from '../../handlers/http.ts';
import { WELCOME } from '../../handlers/v1/root.ts';
import { GET_PATHS } from '../get-paths.ts';
import { makeKit, payload } from './kit.ts';

const JSON_TYPE = /^application\/json; charset=utf-8$/;

test('every GET path answers with and without a trailing slash, HEAD alike without a body', async () => {
  const k = await makeKit();
  for (const p of GET_PATHS) {
    for (const url of [p, `${p}/`]) {
      const get = await k.fetch('GET', url);
      assert.is(get.status, 200, url);
      const head = await k.fetch('HEAD', url);
      assert.is(head.status, 200, `HEAD ${url}`);
      assert.is(head.headers.get('content-type'), get.headers.get('content-type'));
      assert.is(await head.text(), '');
    }
  }
  assert.is(await (await k.fetch('GET', '/v1/')).text(), WELCOME);
});

test('unknown paths are 404 JSON whatever the method; paths are case-sensitive', async () => {
  const k = await makeKit();
  for (const [m, url] of [
    ['GET', '/'],
    ['GET', '/v2'],
    ['POST', '/nope'],
    ['GET', '/V1/status'],
    ['DELETE', '/v1/system'],
  ]) {
    const r = await k.fetch(m as string, url as string);
    assert.is(r.status, 404, `${m} ${url}`);
    assert.match(r.headers.get('content-type') ?? '', JSON_TYPE);
    assert.equal(await r.json(), { error: 'not found', issues: [] });
  }
});

test('another method on a known path is 405 with Allow', async () => {
  const k = await makeKit();
  const cases: [string, string, string][] = [
    ['POST', '/v1', 'GET, HEAD'],
    ['PUT', '/v1/status/', 'GET, HEAD'],
    ['DELETE', '/v1/firewall/rules', 'GET, HEAD'],
    ['POST', '/v1/system/config', 'GET, PUT, HEAD'],
    ['DELETE', '/v1/system/config/', 'GET, PUT, HEAD'],
  ];
  for (const [m, url, allow] of cases) {
    const r = await k.fetch(m, url);
    assert.is(r.status, 405, `${m} ${url}`);
    assert.is(r.headers.get('allow'), allow);
    assert.is((await r.json()).error, `method ${m} is not allowed here`);
  }
});

test('PUT needs application/json (parameters and case allowed), else 415; malformed JSON is 400', async () => {
  const k = await makeKit();
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
    const r = await k.fetch('PUT', '/v1/system/config', { raw: '{}', headers: { 'content-type': type } });
    assert.is(r.status, 415, type);
  }
  for (const type of ['application/json; charset=utf-8', 'Application/JSON']) {
    const r = await k.fetch('PUT', '/v1/system/config', { raw: '{"asn":', headers: { 'content-type': type } });
    assert.is(r.status, 400, type);
    assert.match((await r.json()).error, /^malformed JSON/);
  }
});

test('a JSON body is read as UTF-8: a leading byte order mark is dropped, invalid sequences become U+FFFD', async () => {
  const k = await makeKit();
  // a string value with a bad byte is still JSON: judged, not a 400
  const bad = Buffer.concat([Buffer.from('{"hostname": "r'), Buffer.from([0xff]), Buffer.from('"}')]);
  const r = await k.fetch('PUT', '/v1/system/config?dry_run=1', { raw: bad as unknown as string });
  assert.is(r.status, 422);
  assert.ok(JSON.stringify(await r.json()).includes('hostname'));
  const bom = await k.fetch('PUT', '/v1/system/config?dry_run=1', { raw: `\ufeff${JSON.stringify(payload('seed-example'))}` });
  assert.is(bom.status, 200);
  assert.is((await bom.json()).dry_run, true);
});

test('PUT over the body limit is 413, declared or streamed; at the limit it is read and judged', async () => {
  const k = await makeKit();
  const big = `"${'x'.repeat(MAX_BODY_BYTES)}"`;
  assert.is((await k.fetch('PUT', '/v1/system/config', { raw: big })).status, 413);
  const exact = `"${'x'.repeat(MAX_BODY_BYTES - 2)}"`;
  assert.is((await k.fetch('PUT', '/v1/system/config', { raw: exact })).status, 422);
});

test('PUT of an invalid configuration is 422 with every issue and changes nothing', async () => {
  const k = await makeKit();
  const before = k.host.dump();
  const body = payload('seed-example');
  body.networks[2].interface.ifname = 'ge7';
  body.floating_ips = [{ floating_ip: '198.51.100.9', fixed_ip: '10.0.0.3' }];
  const r = await k.put(body);
  assert.is(r.status, 422);
  const answer = await r.json();
  assert.equal(answer.issues.map((i: { path: string }) => i.path).sort(), ['floating_ips.0.floating_ip', 'networks.2.interface.ifname']);
  assert.not.ok(JSON.stringify(answer).includes('    at '), 'no stack trace');
  assert.is(k.host.dump(), before);
});

test('PUT applies, answers 200 {configuration}, and GET returns it', async () => {
  const k = await makeKit();
  const body = payload('seed-example');
  const r = await k.put(body);
  assert.is(r.status, 200, await r.clone().text());
  assert.equal(await r.json(), { configuration: body });
  assert.equal(await (await k.fetch('GET', '/v1/system/config/')).json(), { configuration: body });
});

test('?dry_run=1 answers the plan as JSON, or as text with Accept: text/plain, and touches nothing', async () => {
  const k = await makeKit();
  const before = k.host.dump();
  const r = await k.put(payload('seed-example'), '?dry_run=1');
  assert.is(r.status, 200);
  const body = await r.json();
  assert.is(body.dry_run, true);
  const writes = body.plan.filter((s: { kind: string }) => s.kind === 'write-file');
  assert.ok(writes.length > 0);
  for (const w of writes) assert.is(w.content, undefined, 'file contents are not echoed');
  const text = await k.fetch('PUT', '/v1/system/config?dry_run=true', { body: payload('seed-example'), headers: { accept: 'text/plain' } });
  assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(
    await text.text(),
    /^addresses +run links and addresses \+ routes: ip -batch - <<< .*address add 172\.24\.4\.3\/24 brd \+ dev eth1/m,
  );
  assert.is(k.host.dump(), before);
  assert.equal(await (await k.fetch('GET', '/v1/system/config')).json(), { configuration: {} });
});

test('GET /v1/status pings the configured targets through the host; the firewall listing runs both families', async () => {
  const k = await makeKit({ statusTargets: ['192.0.2.1', '2001:db8::1'] });
  k.host.reachable.add('2001:db8::1');
  assert.equal(await (await k.fetch('GET', '/v1/status')).json(), { v4: false, v6: true });
  assert.ok(k.host.commands.includes('ping -4 -n -c 1 -W 2 192.0.2.1'));
  const fw = await k.fetch('GET', '/v1/firewall/rules/');
  assert.match(fw.headers.get('content-type') ?? '', /^text\/plain/);
  assert.is((await fw.text()).match(/Chain INPUT/g)?.length, 2);
  k.host.failOn('ip6tables -w 2 -L -n');
  const failed = await k.fetch('GET', '/v1/firewall/rules');
  assert.is(failed.status, 500);
  assert.equal(await failed.json(), { error: 'listing the firewall rules failed', issues: [] });
});

test('GET /v1/system/interface/<geN> answers one NIC by generic name; others are 404', async () => {
  const k = await makeKit();
  const r = await (await k.fetch('GET', '/v1/system/interface/ge1')).json();
  assert.is(r.interface.ifname, 'ge1');
  assert.is(r.interface.lladdr, 'fa:16:3e:00:00:03');
  for (const name of ['ge3', 'eth0', 'GE0']) assert.is((await k.fetch('GET', `/v1/system/interface/${name}`)).status, 404, name);
});

test('a link-local interface address is skipped, and the answer says so with its path', async () => {
  const k = await makeKit();
  const body = payload('seed-example');
  body.networks[2].interface.addresses.push('fe80::99/64');
  const r = await k.put(body);
  assert.is(r.status, 200, await r.clone().text());
  const answer = await r.json();
  assert.equal(answer.configuration, body);
  assert.is(answer.notices.length, 1);
  assert.match(answer.notices[0].path, /^networks\.2\.interface\.addresses/);
  assert.not.ok(k.host.dump().includes('fe80::99'));
});

test('the PUT answer withholds the VPN keys like GET does', async () => {
  const k = await makeKit();
  const body = payload('vpn-site') as { vpn: { ipsec: { ipsec_connections: { psk: string }[] }[] } };
  const keys = body.vpn.ipsec.flatMap((s) => s.ipsec_connections.map((c) => c.psk));
  const r = await k.put(body);
  assert.is(r.status, 200);
  const text = await r.text();
  for (const key of keys) assert.not.ok(text.includes(key));
  assert.is(JSON.parse(text).configuration.vpn.ipsec[0].ipsec_connections[0].psk, '(withheld)');
  const got = await (await k.fetch('GET', '/v1/system/config')).text();
  for (const key of keys) assert.not.ok(got.includes(key));
});

test.run();
