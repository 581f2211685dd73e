#!/usr/bin/env node
// http-echo HOST PORT NAME: answers every request with JSON naming this
// server, the client's address, the method, path and headers. The image
// test's stand-in for the orchestrator's metadata endpoint and for a host
// beyond the external network.
import http from 'node:http';

const [host, port, name] = process.argv.slice(2);
http
  .createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ server: name, remote, method: req.method, path: req.url, headers: req.headers })}\n`);
    });
  })
  .listen({ host, port: Number(port), ipv6Only: false }, () => process.stdout.write(`listening ${host} ${port}\n`));
