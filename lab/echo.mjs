#!/usr/bin/env node
// Small network services for the lab's hosts, one process per use:
//   http-echo HOST PORT [NAME]  answers every request with JSON: the client's address,
//                         method, path and headers (the fake metadata endpoint and
//                         the external "what is my address" service)
//   tcp-echo HOST PORT    answers each line with "<client address> <line>"
//   tcp-client HOST PORT  relays stdin lines to the server and its answers to stdout
import http from 'node:http';
import net from 'node:net';
import readline from 'node:readline';

const [mode, host, portText, name = ''] = process.argv.slice(2);
const port = Number(portText);

function clientAddress(socket) {
  return (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

if (mode === 'http-echo') {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const answer = { server: name, remote: clientAddress(req.socket), method: req.method, path: req.url, headers: req.headers, body };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(answer)}\n`);
    });
  });
  server.listen({ host, port, ipv6Only: false }, () => process.stdout.write(`listening ${host} ${port}\n`));
} else if (mode === 'tcp-echo') {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    readline.createInterface({ input: socket }).on('line', (line) => socket.write(`${clientAddress(socket)} ${line}\n`));
  });
  server.listen({ host, port, ipv6Only: false }, () => process.stdout.write(`listening ${host} ${port}\n`));
} else if (mode === 'tcp-client') {
  const socket = net.connect({ host, port }, () => process.stdout.write('connected\n'));
  socket.on('data', (d) => process.stdout.write(d));
  socket.on('error', (e) => {
    process.stdout.write(`error ${e.code ?? e.message}\n`);
    process.exit(1);
  });
  socket.on('close', () => {
    process.stdout.write('closed\n');
    process.exit(0);
  });
  readline.createInterface({ input: process.stdin }).on('line', (line) => socket.write(`${line}\n`));
} else {
  process.stderr.write('usage: echo.mjs http-echo|tcp-echo|tcp-client HOST PORT\n');
  process.exit(2);
}
