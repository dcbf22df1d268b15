// Node's mysql2 driver through the gateway: TLS verified against the test
// CA, the token sent with the clear-text plugin once TLS is up, plain and
// prepared queries compared with the same queries on MariaDB directly.
// Usage: node mysql2_check.mjs GW_PORT TOKEN_FILE CA DB_PORT DB_USER DB_PASSWORD_FILE DB
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../idp/package.json', import.meta.url));
const mysql = require('mysql2/promise');
const [gwPort, tokenFile, ca, dbPort, dbUser, dbPassFile, db] = process.argv.slice(2);
let passed = 0, failed = 0;
const check = (ok, name, detail = '') => {
  if (ok) { passed++; console.log(`ok - ${name}`); }
  else { failed++; console.log(`not ok - ${name} ${detail}`); }
};

const gw = await mysql.createConnection({
  host: '127.0.0.1', port: Number(gwPort), user: 'orders',
  password: readFileSync(tokenFile, 'utf8').trim(),
  ssl: { ca: readFileSync(ca) }, enableCleartextPlugin: true,
});
const direct = await mysql.createConnection({
  host: '127.0.0.1', port: Number(dbPort), user: dbUser, database: db,
  password: readFileSync(dbPassFile, 'utf8').trim(),
});
check(true, 'mysql2 connects through the gateway with a token over TLS');

const same = async (name, fn) => {
  const [a, b] = [await fn(gw), await fn(direct)];
  const ja = JSON.stringify(a), jb = JSON.stringify(b);
  check(ja === jb, name, `${ja} vs ${jb}`);
};
await same('plain query', c => c.query('SELECT id, name, email FROM customers ORDER BY id').then(r => r[0]));
await same('prepared statement', c => c.execute('SELECT id, item, amount FROM orders WHERE customer_id = ? ORDER BY id', [1]).then(r => r[0]));
await same('server error', c => c.query('SELECT * FROM nope').then(() => 'no error', e => `${e.errno} ${e.message}`));
await gw.end();
await direct.end();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
