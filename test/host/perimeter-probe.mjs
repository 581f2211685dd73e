#!/usr/bin/env node
// Probes for the perimeter suite, run inside one lab namespace:
//   perimeter-probe.mjs '<JSON array of probes>'
// A probe is {id, proto: tcp|udp|ping, host, port?, source?, sport?}. All run at
// once; one JSON line answers {id: result}:
//   tcp:  open (connected), closed (reset), silent (no answer), or an error code
//   udp:  answered, closed (ICMP port unreachable), silent
//   ping: answered, silent
// "silent" is what a DROP looks like from the prober's side.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';

const TIMEOUT_MS = 1500;
// a DNS query for "localhost." type A, so that a DNS server answers it
const DNS_QUERY = Buffer.from('abcd01000001000000000000096c6f63616c686f73740000010001', 'hex');

function tcp(p) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: p.host, port: p.port, localAddress: p.source, localPort: p.sport });
    const done = (r) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(TIMEOUT_MS, () => done('silent'));
    socket.once('connect', () => done('open'));
    socket.once('error', (e) => done(e.code === 'ECONNREFUSED' ? 'closed' : (e.code ?? e.message)));
  });
}

function udp(p) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(p.host.split('%')[0]) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done('silent'), TIMEOUT_MS);
    const done = (r) => {
      clearTimeout(timer);
      socket.close();
      resolve(r);
    };
    socket.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'closed' : (e.code ?? e.message)));
    socket.on('message', () => done('answered'));
    socket.bind({ address: p.source, port: p.sport ?? 0 }, () => {
      socket.connect(p.port, p.host, () => socket.send(p.port === 53 ? DNS_QUERY : Buffer.from('perimeter probe\n')));
    });
  });
}

function ping(p) {
  return new Promise((resolve) => {
    execFile('ping', ['-n', '-c', '1', '-W', '1', p.host], (err) => resolve(err ? 'silent' : 'answered'));
  });
}

const probes = JSON.parse(process.argv[2] ?? '[]');
const results = await Promise.all(
  probes.map(async (p) => [p.id, await (p.proto === 'tcp' ? tcp(p) : p.proto === 'udp' ? udp(p) : ping(p)).catch((e) => String(e))]),
);
process.stdout.write(`${JSON.stringify(Object.fromEntries(results))}\n`);
