// The reviewer page in headless Chromium (Debian's chromium driven by
// playwright-core), against the real gateway, PostgreSQL, MariaDB and the
// OpenID provider's real login page. Agents are the mariadb CLI.
//
// Checks: an agent's UPDATE blocks; a reviewer logs in, sees the request
// appear live, approves it; the client gets the affected-rows count and the
// row changed. Also deny (the client gets the comment), expiry, an agent
// disconnecting while pending (cancelled, gone from the queue), deferred
// mode, self-approval refused, the second instance's page deciding for the
// first instance's session, a POST without the CSRF token refused, and a
// user outside the reviewers group refused. Screenshots of the queue and the
// detail page go to ARTEFACTS.
//
// Usage: node browser_review.mjs   (configuration from the environment:
//   WEB1, WEB2 base URLs; GW1_PORT, GW2_PORT; TOKEN_FILE (beta's token);
//   CA; ARTEFACTS; CTL (agentgatectl command line); ROOT_SQL (a command
//   that runs SQL on MariaDB as root, SQL on stdin); REVIEW_TIMEOUT_S)
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../idp/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const env = process.env;
const WEB1 = env.WEB1, WEB2 = env.WEB2;
const TOKEN = readFileSync(env.TOKEN_FILE, 'utf8').trim();
const ART = env.ARTEFACTS;
mkdirSync(ART, { recursive: true });

let passed = 0, failed = 0;
const check = (ok, name, detail = '') => {
  if (ok) { passed++; console.log(`ok - ${name}`); }
  else { failed++; console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`); }
};

const sh = (cmd, input) => execFileSync('bash', ['-c', cmd], { input, encoding: 'utf8' }).trim();
const rootSql = (sql) => sh(env.ROOT_SQL, sql);
const ctl = (args) => sh(`${env.CTL} ${args}`);
const nameOf = (id) => rootSql(`SELECT name FROM orders.customers WHERE id = ${id}`);

// Starts the mariadb client as agent beta; resolves with its output.
function agent(sql, port = env.GW1_PORT) {
  const child = spawn('mariadb', ['--no-defaults', '-h', '127.0.0.1', '-P', String(port),
    '-u', 'orders', '--ssl', `--ssl-ca=${env.CA}`, '--ssl-verify-server-cert',
    `--password=${TOKEN}`, 'orders', '-N', '-B', '-e', sql]);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const done = new Promise((resolve) => child.on('close', (code) => resolve({ code, out: out.trim() })));
  let finished = false;
  done.then(() => { finished = true; });
  return { child, done, get finished() { return finished; } };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});

// Logs in through the provider's login page; returns the page on the queue.
async function login(base, who, { viewport } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.waitForSelector('input[name="login"]', { timeout: 15000 });
  await page.fill('input[name="login"]', who);
  await page.fill('input[name="password"]', 'any password');
  await Promise.all([
    page.waitForURL((u) => u.toString().startsWith(base), { timeout: 15000 }),
    page.click('button[type="submit"]'),
  ]);
  await page.waitForLoadState('load');
  // The callback page moves on to the queue by itself.
  await page.waitForURL(`${base}/`, { timeout: 10000 }).catch(() => {});
  return { context, page };
}

async function rowFor(page, sql) {
  const row = page.locator('tr.request', { hasText: sql });
  await row.first().waitFor({ timeout: 15000 });
  return row.first();
}

async function openRequest(page, sql) {
  const row = await rowFor(page, sql);
  const id = await row.getAttribute('data-id');
  await page.goto(`${new URL(page.url()).origin}/requests/${id}`);
  await page.waitForSelector('#statement');
  return id;
}

try {
  // --- outsider: a valid login that is not a reviewer.
  {
    const { context, page } = await login(WEB1, 'outsider');
    const text = await page.textContent('body');
    check(/not a reviewer/i.test(text), 'a user outside the reviewers group is refused', text.slice(0, 200));
    const r = await page.request.get(`${WEB1}/`, { maxRedirects: 0 });
    check(r.status() === 302 || r.status() === 303 || r.status() === 401,
      'the refused user got no session', String(r.status()));
    await context.close();
  }

  const rita = await login(WEB1, 'reviewer1');
  check(rita.page.url() === `${WEB1}/`, 'reviewer logs in through the provider and lands on the queue', rita.page.url());

  // --- hold + live queue + approve.
  rootSql("UPDATE orders.customers SET name = 'Ada Lovelace' WHERE id = 1");
  const q1 = "UPDATE customers SET name = 'Ada Approved' WHERE id = 1";
  const a1 = agent(`${q1}; SELECT ROW_COUNT()`);
  const row1 = await rowFor(rita.page, q1); // no reload: the queue is live
  check(await row1.isVisible(), 'the request appears in the open queue without a reload');
  await sleep(300);
  check(!a1.finished, 'the agent is blocked while the request is pending');
  check(nameOf(1) === 'Ada Lovelace', 'nothing ran before approval');
  await rita.page.screenshot({ path: `${ART}/queue.png`, fullPage: true });
  const id1 = await openRequest(rita.page, q1);
  await rita.page.screenshot({ path: `${ART}/detail.png`, fullPage: true });
  check((await rita.page.textContent('#statement')).includes("'Ada Approved'"),
    'the detail page shows the exact statement');
  await rita.page.fill('textarea#comment', 'ticket OPS-1');
  const t0 = Date.now();
  await rita.page.click('button#approve');
  const r1 = await a1.done;
  console.log(`# approve click to agent result: ${Date.now() - t0} ms`);
  check(r1.out === '1', 'the agent gets the affected-rows count', r1.out);
  check(nameOf(1) === 'Ada Approved', 'the row changed on MariaDB');
  await rita.page.waitForSelector('.flash');

  // --- deny with a comment.
  const q2 = "UPDATE customers SET name = 'Denied' WHERE id = 2";
  const a2 = agent(q2);
  await rita.page.goto(`${WEB1}/`);
  await openRequest(rita.page, q2);
  await rita.page.fill('textarea#comment', 'not in a change window');
  await rita.page.click('button#deny');
  const r2 = await a2.done;
  check(r2.code !== 0 && r2.out.includes('not in a change window'), 'deny: the agent gets the comment', r2.out);
  check(nameOf(2) !== 'Denied', 'the denied statement did not run');

  // --- the agent disconnects while pending: cancelled and gone from the queue.
  await rita.page.goto(`${WEB1}/`);
  const q3 = "UPDATE customers SET name = 'Gone' WHERE id = 2";
  const a3 = agent(q3);
  const row3 = await rowFor(rita.page, q3);
  const id3 = await row3.getAttribute('data-id');
  a3.child.kill('SIGKILL');
  await rita.page.locator(`tr.request[data-id="${id3}"]`).waitFor({ state: 'detached', timeout: 10000 })
    .then(() => check(true, 'a disconnected agent\'s request leaves the queue live'))
    .catch(() => check(false, 'a disconnected agent\'s request leaves the queue live'));
  await rita.page.goto(`${WEB1}/requests/${id3}`);
  check(/cancelled/i.test(await rita.page.textContent('body')), 'the request shows as cancelled');

  // --- expiry.
  const q4 = "UPDATE customers SET name = 'Late' WHERE id = 2";
  const r4 = await agent(q4).done;
  check(r4.code !== 0 && /expired/.test(r4.out), 'an undecided request expires and the agent is told', r4.out);

  // --- a POST without the CSRF token is refused.
  {
    const q5 = "UPDATE customers SET name = 'Forged' WHERE id = 3";
    const a5 = agent(q5);
    await rita.page.goto(`${WEB1}/`);
    const id5 = await (await rowFor(rita.page, q5)).getAttribute('data-id');
    const status = await rita.page.evaluate(async (id) => {
      const r = await fetch(`/requests/${id}/approve`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'comment=forged',
      });
      return r.status;
    }, id5);
    check(status === 403, 'approve without the CSRF token is refused with 403', String(status));
    await sleep(300);
    check(!a5.finished, 'the forged approval did not release the statement');
    a5.child.kill('SIGKILL');
    await a5.done;
  }

  // --- self-approval: a reviewer whose identity is the agent's.
  {
    const q6 = "UPDATE customers SET name = 'Self' WHERE id = 3";
    const a6 = agent(q6);
    const self = await login(WEB1, env.AGENT_SUBJECT);
    await openRequest(self.page, q6);
    const approve = self.page.locator('button#approve');
    check((await approve.count()) === 0 || await approve.isDisabled(),
      'the page offers no approve button on the reviewer\'s own request');
    const csrf = await self.page.getAttribute('input[name="csrf"]', 'value');
    const id6 = self.page.url().split('/').pop();
    const res = await self.page.evaluate(async ({ id, csrf }) => {
      const r = await fetch(`/requests/${id}/approve`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `csrf=${encodeURIComponent(csrf)}&comment=mine`,
      });
      return { status: r.status, text: await r.text() };
    }, { id: id6, csrf });
    check(/own identity/.test(res.text), 'approving one\'s own request is refused', `${res.status}`);
    await sleep(300);
    check(!a6.finished, 'the self-approved statement did not run');
    a6.child.kill('SIGKILL');
    await a6.done;
    await self.context.close();
  }

  // --- the second instance's page decides for the first instance's session.
  {
    const q7 = "UPDATE customers SET name = 'Cross' WHERE id = 3";
    const a7 = agent(`${q7}; SELECT ROW_COUNT()`, env.GW1_PORT);
    const ravi = await login(WEB2, 'reviewer2');
    await openRequest(ravi.page, q7);
    await ravi.page.click('button#approve');
    const r7 = await a7.done;
    check(r7.out === '1', 'a reviewer on the second instance approves a statement held by the first', r7.out);
    await ravi.context.close();
  }

  // --- deferred mode.
  {
    ctl('policy set --agent beta write review --mode deferred');
    await sleep(500);
    const q8 = "UPDATE customers SET name = 'Later' WHERE id = 3";
    const r8 = await agent(q8).done;
    const m = r8.out.match(/request ([0-9a-f-]{36}) is pending at (\S+)/);
    check(r8.code !== 0 && m !== null, 'deferred: the agent gets the request id and a link at once', r8.out);
    if (m) {
      await rita.page.goto(m[2].replace(/;$/, ''));
      await rita.page.waitForSelector('#statement');
      await rita.page.click('button#approve');
      await rita.page.waitForSelector('.flash');
      const again = await agent(`${q8}; SELECT ROW_COUNT()`).done;
      check(again.out === '1', 'deferred: the identical statement runs after approval', again.out);
      check(nameOf(3) === 'Later', 'deferred: the row changed');
    }
    ctl('policy unset --agent beta write');
  }

  // --- a phone-sized screen still shows the queue.
  {
    const phone = await login(WEB1, 'reviewer1', { viewport: { width: 390, height: 844 } });
    await phone.page.screenshot({ path: `${ART}/queue-phone.png`, fullPage: true });
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check(!overflow, 'the queue fits a phone-sized screen without sideways scrolling');
    await phone.context.close();
  }
  await rita.context.close();
} catch (e) {
  check(false, 'browser run', e.stack || String(e));
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
