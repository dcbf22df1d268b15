// Test OpenID provider for agentgate's integration and browser tests.
//
// A real, certified OpenID provider (oidc-provider) listening on loopback:
//  - client credentials grant issuing JWT access tokens (RS256, typ at+jwt)
//    for the resource/audience of the MySQL gateway, with per-client TTL and
//    a per-client `groups` claim;
//  - authorization code flow with PKCE and a real login page
//    (devInteractions: any login name, any password) for the reviewer web UI;
//  - a persistent RSA signing key (generated on first start), so restarts
//    keep the same `kid`.
//
// Usage: node server.mjs [--port N] [--issuer URL] [--cert FILE --key FILE]
//          [--clients FILE] [--jwks FILE] [--audience AUD]
//          [--reviewer-redirect-uri URI]... [--extra-audience AUD]...
//          [--scope SCOPE] [--access-token-ttl SECONDS] [--pid-file FILE]
// Every option also has an environment variable, see README.md.

import { parseArgs } from 'node:util';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';

import Provider, { errors } from 'oidc-provider';

const { values: opts } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.IDP_HOST || '127.0.0.1' },
    port: { type: 'string', default: process.env.IDP_PORT || '0' },
    issuer: { type: 'string', default: process.env.IDP_ISSUER || '' },
    cert: { type: 'string', default: process.env.IDP_TLS_CERT || '' },
    key: { type: 'string', default: process.env.IDP_TLS_KEY || '' },
    clients: { type: 'string', default: process.env.IDP_CLIENTS || '' },
    jwks: { type: 'string', default: process.env.IDP_JWKS || '' },
    'pid-file': { type: 'string', default: process.env.IDP_PID_FILE || '' },
    audience: { type: 'string', default: process.env.IDP_AUDIENCE || 'urn:agentgate:mysql' },
    'extra-audience': {
      type: 'string',
      multiple: true,
      default: (process.env.IDP_EXTRA_AUDIENCES || '').split(/[\s,]+/).filter(Boolean),
    },
    scope: { type: 'string', default: process.env.IDP_SCOPE || 'mysql:connect' },
    'access-token-ttl': { type: 'string', default: process.env.IDP_ACCESS_TOKEN_TTL || '600' },
    'reviewer-redirect-uri': {
      type: 'string',
      multiple: true,
      default: (process.env.IDP_REVIEWER_REDIRECT_URIS || '').split(/[\s,]+/).filter(Boolean),
    },
  },
  strict: true,
});

function die(msg) {
  process.stderr.write(`idp: ${msg}\n`);
  process.exit(1);
}

const host = opts.host;
const port = Number.parseInt(opts.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) die(`bad port ${opts.port}`);
const useTls = Boolean(opts.cert || opts.key);
if (useTls && !(opts.cert && opts.key)) die('--cert and --key go together');
const defaultTTL = Number.parseInt(opts['access-token-ttl'], 10);
if (!(defaultTTL > 0)) die(`bad access token TTL ${opts['access-token-ttl']}`);
const audience = opts.audience;
const resourceIndicators = new Set([audience, ...opts['extra-audience']]);
const resourceScope = opts.scope;

// ---- signing keys ----------------------------------------------------------

function b64urlSha256(s) {
  return crypto.createHash('sha256').update(s).digest('base64url');
}

// RFC 7638 JWK thumbprint of an RSA key: the kid.
function rsaThumbprint(jwk) {
  return b64urlSha256(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n }));
}

function loadOrCreateJwks(file) {
  if (file && fs.existsSync(file)) {
    const jwks = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) die(`${file}: no keys`);
    return jwks;
  }
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  jwk.kid = rsaThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  const jwks = { keys: [jwk] };
  if (file) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  return jwks;
}

const jwks = loadOrCreateJwks(opts.jwks);

// ---- clients and accounts --------------------------------------------------
// The clients file is either an array of client metadata objects or
// { "clients": [...], "accounts": { "<login>": { name, email, groups } } }.
// Besides standard client metadata, a client may carry:
//   groups          array of strings, put into its access tokens' `groups`
//   accessTokenTTL  seconds, lifetime of its client-credentials tokens

let clientsDoc = [];
if (opts.clients) {
  clientsDoc = JSON.parse(fs.readFileSync(opts.clients, 'utf8'));
}
const rawClients = Array.isArray(clientsDoc) ? clientsDoc : (clientsDoc.clients || []);
const accounts = Array.isArray(clientsDoc) ? {} : (clientsDoc.accounts || {});

const clientExtras = new Map();
const clients = rawClients.map((c) => {
  const { groups, accessTokenTTL, ...metadata } = c;
  if (!metadata.client_id) die('a client without client_id');
  clientExtras.set(metadata.client_id, {
    groups: Array.isArray(groups) ? groups : undefined,
    accessTokenTTL: accessTokenTTL === undefined ? undefined : Number(accessTokenTTL),
  });
  if (metadata.client_id === 'reviewer-web') {
    if (opts['reviewer-redirect-uri'].length > 0) {
      metadata.redirect_uris = opts['reviewer-redirect-uri'];
    }
    metadata.grant_types ??= ['authorization_code'];
    metadata.response_types ??= ['code'];
  }
  if (!metadata.redirect_uris) {
    // Machine clients: client credentials only, no browser flows.
    metadata.redirect_uris = [];
    metadata.response_types ??= [];
    metadata.grant_types ??= ['client_credentials'];
  }
  return metadata;
});

function isMachineClient(client) {
  return client.grantTypes.includes('client_credentials');
}

// ---- provider --------------------------------------------------------------

const scheme = useTls ? 'https' : 'http';
const issuer = opts.issuer || `${scheme}://${host}:${port}`;

const configuration = {
  clients,
  jwks,
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
  // Put the scope claims into the ID token as well: the gateway's reviewer
  // login reads name, email and groups from the ID token.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource(ctx, client, oneOf) {
        if (oneOf) return oneOf;
        return isMachineClient(client) ? audience : undefined;
      },
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resourceIndicator, client) {
        if (!resourceIndicators.has(resourceIndicator)) {
          throw new errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
        }
        const extra = clientExtras.get(client.clientId) || {};
        return {
          audience: resourceIndicator,
          scope: resourceScope,
          accessTokenFormat: 'jwt',
          accessTokenTTL: extra.accessTokenTTL > 0 ? extra.accessTokenTTL : defaultTTL,
        };
      },
    },
  },
  extraTokenClaims(ctx, token) {
    const extra = clientExtras.get(token.clientId);
    if (extra?.groups) return { groups: extra.groups };
    return undefined;
  },
  async findAccount(ctx, sub) {
    const a = accounts[sub] || {};
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: a.name || sub,
          preferred_username: sub,
          email: a.email || `${sub}@example.test`,
          email_verified: true,
          groups: Array.isArray(a.groups) ? a.groups : [],
        };
      },
    };
  },
  // Every client here is first party: grant the requested OIDC scopes on
  // login, so the browser flow is just the login page (no consent page).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email groups offline_access');
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL || 600,
    AuthorizationCode: 60,
    ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL || defaultTTL,
    Grant: 3600,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, err) => {
  process.stderr.write(`idp: server_error: ${err.stack || err}\n`);
});

let server;
if (useTls) {
  server = https.createServer({
    cert: fs.readFileSync(opts.cert),
    key: fs.readFileSync(opts.key),
  }, provider.callback());
} else {
  server = http.createServer(provider.callback());
}

server.on('error', (err) => die(`listen ${host}:${port}: ${err.message}`));
server.listen(port, host, () => {
  const actual = server.address().port;
  if (opts['pid-file']) fs.writeFileSync(opts['pid-file'], `${process.pid}\n`);
  process.stdout.write(`idp: listening on ${scheme}://${host}:${actual} issuer=${issuer} `
    + `kid=${jwks.keys[0].kid} clients=${clients.map((c) => c.client_id).join(',')}\n`);
});

function shutdown() {
  if (opts['pid-file']) fs.rmSync(opts['pid-file'], { force: true });
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
