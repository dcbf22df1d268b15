// Time from a reviewer's approve POST to the held statement's result at
// the agent. The agent (mysql2) sends an UPDATE that the policy holds; the
// request's id arrives on the page's live event stream; the bench then
// POSTs the approval (the form the page submits, with the session cookie
// and CSRF token) and stops the clock when the agent's query resolves; the
// page's own answer to the POST (a redirect) is timed as well.
// Repeated N times against the page of the instance holding the session
// and against a second instance's page. For scale it also times the same
// UPDATE straight on MariaDB.
//
// Usage: node approval_bench.mjs   (environment: WEB1, WEB2, GW_PORT,
//   TOKEN_FILE, CA, DB_PORT, DB_USER, DB_PASSWORD_FILE, N)
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/idp/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const mysql = require('mysql2/promise');

const env = process.env;
const N = Number(env.N || 200);
const agent = https.Agent && new https.Agent({ keepAlive: true, rejectUnauthorized: false });

async function login(base) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.fill('input[name="login"]', 'reviewer1');
  await page.fill('input[name="password"]', 'x');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${base}/`, { timeout: 15000 });
  const cookies = await context.cookies(base);
  // Every page carries the session's CSRF token (the logout form).
  const csrf = await page.getAttribute('input[name="csrf"]', 'value');
  await browser.close();
  return { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '), csrf };
}

function post(base, path, body, cookie) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, base);
    const req = https.request(u, {
      method: 'POST', agent,
      headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
}

// The page's live event stream: resolves ids of created requests in order,
// once the stream is open (requests created before it would be missed).
async function events(base, cookie) {
  const waiting = [];
  const ready = [];
  let opened;
  const open = new Promise((r) => { opened = r; });
  https.get(new URL('/events', base), { agent: new https.Agent({ rejectUnauthorized: false }),
    headers: { cookie, accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      console.error(`event stream answered ${res.statusCode}`);
      process.exit(1);
    }
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (/^: connected$/m.test(msg)) opened();
        const m = msg.match(/^data: ([0-9a-f-]{36}) created$/m);
        if (!m) continue;
        if (waiting.length) waiting.shift()(m[1]); else ready.push(m[1]);
      }
    });
  });
  await open;
  return () => (ready.length ? Promise.resolve(ready.shift())
    : new Promise((r) => waiting.push(r)));
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] };
}

const fmt = (x) => x.toFixed(1);
const token = readFileSync(env.TOKEN_FILE, 'utf8').trim();
const gw = await mysql.createConnection({
  host: '127.0.0.1', port: Number(env.GW_PORT), user: 'orders', password: token,
  database: 'orders', ssl: { ca: readFileSync(env.CA) }, enableCleartextPlugin: true,
});
const db = await mysql.createConnection({
  host: '127.0.0.1', port: Number(env.DB_PORT), user: env.DB_USER,
  password: readFileSync(env.DB_PASSWORD_FILE, 'utf8').trim(), database: 'orders',
});

const results = {};
for (const [label, base] of [['same instance', env.WEB1], ['other instance', env.WEB2]]) {
  const { cookie, csrf } = await login(base);
  const next = await events(base, cookie);
  const times = [];
  const pageTimes = [];
  for (let i = 0; i < N; i++) {
    const q = gw.query(`UPDATE customers SET name = name WHERE id = 1 AND ${i} = ${i}`);
    const id = await next();
    const t0 = process.hrtime.bigint();
    const answered = post(base, `/requests/${id}/approve`,
      `csrf=${encodeURIComponent(csrf)}&comment=`, cookie)
      .then((status) => ({ status, t: process.hrtime.bigint() }));
    // The clock stops when the agent has its result, whenever the page's
    // own answer (a redirect) arrives.
    await q;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const { status, t } = await answered;
    if (status >= 400) throw new Error(`approve answered ${status}`);
    pageTimes.push(Number(t - t0) / 1e6);
  }
  results[label] = stats(times);
  results[`${label}: page answer`] = stats(pageTimes);
}
const direct = [];
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  await db.query(`UPDATE customers SET name = name WHERE id = 1 AND ${i} = ${i}`);
  direct.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
results['direct MariaDB UPDATE'] = stats(direct);
for (const [k, v] of Object.entries(results))
  console.log(`${k.padEnd(32)} n=${v.n}  p50 ${fmt(v.p50)} ms  p99 ${fmt(v.p99)} ms  max ${fmt(v.max)} ms`);
await gw.end();
await db.end();
process.exit(0);
