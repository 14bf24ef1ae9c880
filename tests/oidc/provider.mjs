// A real OpenID Connect provider (oidc-provider) for kanban's login tests.
//
//   node provider.mjs PORT        (PORT 0 = any free port)
//
// Listens on 127.0.0.1 and prints exactly one line to stdout once ready:
//   listening http://127.0.0.1:PORT
// That URL (no trailing slash) is the issuer. Everything else goes to stderr.
//
// What it offers: the device authorization grant (RFC 8628) with refresh tokens,
// ID tokens carrying preferred_username, name and groups, two confidential clients
// (`kanban` and `other`), sign-in as any login name with any password through
// oidc-provider's development login pages (`alice` and `bob` come with names and
// groups), and a test-only control endpoint to change an account's groups, or
// to disable it (it is then not found, so that its refresh tokens are refused):
//   POST /__test/groups   {"user": "bob", "groups": ["ops"]}
//   POST /__test/disable  {"user": "bob"}
//   GET  /__test/health
//
// Env OIDC_ACCESS_TTL: how many seconds access tokens last (300 unless given),
// which is how often a client keeping a session asks again.
//
// Signing keys: env OIDC_KEYS_FILE names a JWKS file with private keys; its first
// key signs. If the file does not exist, an RS256 key is generated and written
// there. With OIDC_KEYS_ROTATE=1 a new key is generated and put first, the old
// ones kept after it (so tokens they signed still verify against /jwks), and the
// file is rewritten: restart with that to rotate keys.
// Without OIDC_KEYS_FILE a fresh key is generated on each start.

import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

// oidc-provider prints notices with console.info; stdout is for the one line.
console.info = console.error;
console.log = console.error;

// ---------------------------------------------------------------- accounts

// Any login name signs in, with any password. alice and bob come with a name and
// groups; any other name is an account with no name and no groups until
// /__test/groups gives it some.
const ACCOUNTS = new Map([
  ['alice', { name: 'Alice A.', groups: ['launch-team', 'everyone'] }],
  ['bob', { name: 'Bob B.', groups: ['ops', 'everyone'] }],
]);

function account(id) {
  if (!ACCOUNTS.has(id)) ACCOUNTS.set(id, { groups: [] });
  return ACCOUNTS.get(id);
}

const DISABLED = new Set();

async function findAccount(_ctx, id) {
  if (DISABLED.has(id)) return undefined;
  return {
    accountId: id,
    // Read at issue time, so a change through /__test/groups shows in tokens
    // issued or refreshed afterwards. The provider keeps only what the scopes allow.
    async claims() {
      const { name, groups } = account(id);
      return { sub: id, preferred_username: id, name, groups: [...groups] };
    },
  };
}

// ---------------------------------------------------------------- keys

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  // RFC 7638 thumbprint as the key id.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url');
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

function loadKeys() {
  const file = process.env.OIDC_KEYS_FILE;
  if (!file) return { keys: [newSigningKey()] };
  if (!existsSync(file)) {
    const jwks = { keys: [newSigningKey()] };
    writeFileSync(file, JSON.stringify(jwks, null, 2));
    return jwks;
  }
  const jwks = JSON.parse(readFileSync(file, 'utf8'));
  if (process.env.OIDC_KEYS_ROTATE === '1') {
    jwks.keys.unshift(newSigningKey());
    writeFileSync(file, JSON.stringify(jwks, null, 2));
  }
  return jwks;
}

// ---------------------------------------------------------------- provider

const CLIENT = {
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  response_types: [],
  redirect_uris: [],
  // client_secret_post is accepted as well for a client with a secret.
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
};

function configuration() {
  return {
    clients: [
      { ...CLIENT, client_id: 'kanban', client_secret: 'kanban-secret' },
      { ...CLIENT, client_id: 'other', client_secret: 'other-secret' },
    ],
    jwks: loadKeys(),
    findAccount,
    scopes: ['openid', 'offline_access', 'profile', 'groups'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], groups: ['groups'] },
    // By default only `sub` goes in an ID token issued next to an access token
    // (the rest is for userinfo). Put the scopes' claims in the ID token itself.
    conformIdTokenClaims: false,
    features: {
      deviceFlow: { enabled: true },
      // oidc-provider's own login and consent pages: any login name, any password.
      devInteractions: { enabled: true },
      revocation: { enabled: true },
    },
    // Every device-flow sign-in of these clients gets a refresh token, even
    // without offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => false },
    ttl: {
      DeviceCode: 600,
      AccessToken: Number(process.env.OIDC_ACCESS_TTL ?? 300),
      IdToken: 300,
      RefreshToken: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
      Session: 24 * 60 * 60,
      Interaction: 600,
    },
    cookies: { keys: ['kanban-test-cookie-key-1', 'kanban-test-cookie-key-2'] },
  };
}

// ---------------------------------------------------------------- test-only control

// TEST ONLY: plain JSON over HTTP, no authentication. Never run this provider
// anywhere but a test.
async function testControl(req, res) {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const path = new URL(req.url, 'http://x').pathname;
  if (req.method === 'GET' && path === '/__test/health') return reply(200, { ok: true });
  if (req.method !== 'POST' || !['/__test/disable', '/__test/groups'].includes(path)) {
    return reply(404, { error: 'unknown test endpoint' });
  }
  let body;
  try {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    body = JSON.parse(raw);
  } catch {
    return reply(400, { error: 'body must be JSON' });
  }
  if (typeof body?.user !== 'string' || !body.user) return reply(400, { error: 'user must be a login name' });
  if (path === '/__test/disable') {
    DISABLED.add(body.user);
    return reply(200, { user: body.user, disabled: true });
  }
  if (!Array.isArray(body.groups) || !body.groups.every((g) => typeof g === 'string')) {
    return reply(400, { error: 'groups must be an array of strings' });
  }
  account(body.user).groups = [...body.groups];
  return reply(200, { user: body.user, groups: body.groups });
}

// ---------------------------------------------------------------- server

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node provider.mjs PORT   (0 = any free port)');
  process.exit(2);
}

let handler;
const server = createServer((req, res) => handler(req, res));
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());

  // RFC 8628's default polling interval is 5 s; oidc-provider does not send one.
  // Tell clients 1 s so tests poll fast.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200 && ctx.body) {
      ctx.body.interval = 1;
    }
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));

  const callback = provider.callback();
  handler = (req, res) => (req.url.startsWith('/__test/') ? testControl(req, res) : callback(req, res));
  process.stdout.write(`listening ${issuer}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
