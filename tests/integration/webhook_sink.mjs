// A webhook receiver for the tests: plain HTTP on 127.0.0.1 (an ephemeral
// port, written to PORT_FILE), answering 503 to the first POST it gets and
// 200 afterwards, and appending one JSON line per POST to LOG_FILE with the
// event and delivery headers and whether the signature matches SECRET_FILE.
// Usage: node webhook_sink.mjs PORT_FILE LOG_FILE SECRET_FILE
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';

const [portFile, logFile, secretFile] = process.argv.slice(2);
const secret = readFileSync(secretFile, 'utf8').split(/\r?\n/)[0];
let seen = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const want = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const got = String(req.headers['x-agentgate-signature'] || '');
    const signed = got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
    const status = seen++ === 0 ? 503 : 200;
    let payload = null;
    try { payload = JSON.parse(body.toString('utf8')); } catch { /* recorded as null */ }
    appendFileSync(logFile, `${JSON.stringify({
      status, method: req.method, type: req.headers['content-type'],
      event: req.headers['x-agentgate-event'], delivery: req.headers['x-agentgate-delivery'],
      signed, payload,
    })}\n`);
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'try later');
  });
});
server.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(server.address().port)));
