// End-to-end check of the test OpenID Connect provider: starts provider.mjs on a
// free port, signs alice in through the device flow with browser.mjs as a device
// would (polling the token endpoint meanwhile), checks and prints the ID token,
// changes alice's groups through /__test/groups and shows a refreshed ID token
// carrying them; then the `other` client's audience, a denied sign-in, and a key
// rotation across a restart.
//
//   node smoke.mjs
//
// Exits non-zero on any failure.

import { deepStrictEqual, equal, notEqual, ok } from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCOPE = 'openid profile groups offline_access';
const CLIENTS = { kanban: 'kanban-secret', other: 'other-secret' };

// ---------------------------------------------------------------- provider process

/** Starts provider.mjs on port 0; resolves to { child, issuer, log }. */
function startProvider(env) {
  const child = spawn(process.execPath, [path.join(HERE, 'provider.mjs'), '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  child.stderr.setEncoding('utf8').on('data', (chunk) => log.push(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider did not start:\n${log.join('')}`)), 15000);
    child.on('exit', (code) => reject(new Error(`provider exited (${code}):\n${log.join('')}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const match = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolve({ child, issuer: match[1], log });
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
}

function stop(provider) {
  if (provider && provider.child.exitCode === null) {
    provider.child.removeAllListeners('exit');
    provider.child.kill();
  }
}

// ---------------------------------------------------------------- OAuth client side

async function json(response) {
  const body = await response.json();
  return { status: response.status, body };
}

function basic(clientId) {
  return `Basic ${Buffer.from(`${clientId}:${CLIENTS[clientId]}`).toString('base64')}`;
}

async function deviceAuthorization(config, clientId) {
  const { status, body } = await json(await fetch(config.device_authorization_endpoint, {
    method: 'POST',
    headers: { authorization: basic(clientId) },
    body: new URLSearchParams({ scope: SCOPE }),
  }));
  equal(status, 200, JSON.stringify(body));
  return body;
}

/** Polls the token endpoint as RFC 8628 §3.4-3.5 asks; resolves to the token response or error body. */
async function pollForTokens(config, clientId, device) {
  let interval = (device.interval ?? 5) * 1000;
  const deadline = Date.now() + Math.min(device.expires_in * 1000, 60000);
  for (;;) {
    const { status, body } = await json(await fetch(config.token_endpoint, {
      method: 'POST',
      headers: { authorization: basic(clientId) },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: device.device_code,
      }),
    }));
    if (status === 200) return body;
    if (body.error === 'slow_down') interval += 5000;
    else if (body.error !== 'authorization_pending') return body;
    if (Date.now() > deadline) throw new Error('device flow: gave up polling');
    await new Promise((resolve) => { setTimeout(resolve, interval); });
  }
}

/** The person's side: browser.mjs on the verification page. */
async function browse(device, login, mode = 'confirm') {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(HERE, 'browser.mjs'), device.verification_uri, device.user_code, login, mode],
    { timeout: 30000 },
  ).catch((err) => { throw new Error(`browser.mjs failed:\n${err.stdout}${err.stderr}`); });
  return stdout.trim();
}

/** A whole device-flow sign-in; resolves to the token endpoint's answer. */
async function signIn(config, clientId, login, mode = 'confirm') {
  const device = await deviceAuthorization(config, clientId);
  const [tokens, page] = await Promise.all([
    pollForTokens(config, clientId, device),
    browse(device, login, mode),
  ]);
  console.log(`  browser: ${page}`);
  return tokens;
}

/** Decodes a JWT and checks its RS256 signature against the issuer's JWKS. */
async function verifiedJwt(config, jwt) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  equal(header.alg, 'RS256');
  const { keys } = await (await fetch(config.jwks_uri)).json();
  const jwk = keys.find((k) => k.kid === header.kid);
  ok(jwk, `no key ${header.kid} in ${config.jwks_uri}`);
  ok(!('d' in jwk), 'the JWKS endpoint must not publish private keys');
  ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url')),
    'bad ID token signature');
  return { header, payload, keys };
}

// ---------------------------------------------------------------- the run

const dir = mkdtempSync(path.join(tmpdir(), 'kanban-oidc-smoke-'));
const keysFile = path.join(dir, 'jwks.json');
let provider;
try {
  provider = await startProvider({ OIDC_KEYS_FILE: keysFile });
  const { issuer } = provider;
  console.log(`provider: ${issuer}`);
  equal((await fetch(`${issuer}/__test/health`)).status, 200);

  const config = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  equal(config.issuer, issuer);
  console.log(`device authorization endpoint: ${config.device_authorization_endpoint}`);
  console.log(`token endpoint: ${config.token_endpoint}`);

  // alice signs in on the kanban client.
  console.log('alice, device flow on client kanban:');
  const tokens = await signIn(config, 'kanban', 'alice');
  ok(tokens.id_token && tokens.refresh_token && tokens.access_token, JSON.stringify(tokens));
  const first = await verifiedJwt(config, tokens.id_token);
  console.log(`  ID token header: ${JSON.stringify(first.header)}`);
  console.log(`  ID token: ${JSON.stringify(first.payload)}`);
  equal(first.header.kid, first.keys[0].kid, 'the first key signs');
  equal(first.payload.iss, issuer);
  equal(first.payload.aud, 'kanban');
  equal(first.payload.sub, 'alice');
  equal(first.payload.preferred_username, 'alice');
  equal(first.payload.name, 'Alice A.');
  deepStrictEqual(first.payload.groups, ['launch-team', 'everyone']);

  // alice's groups change; a refresh (client_secret_post this time) carries them.
  const changed = await fetch(`${issuer}/__test/groups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'alice', groups: ['ops'] }),
  });
  equal(changed.status, 200);
  console.log('alice\'s groups set to ["ops"]; refresh:');
  const { status, body: refreshed } = await json(await fetch(config.token_endpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: 'kanban',
      client_secret: CLIENTS.kanban,
    }),
  }));
  equal(status, 200, JSON.stringify(refreshed));
  const second = await verifiedJwt(config, refreshed.id_token);
  console.log(`  ID token: ${JSON.stringify(second.payload)}`);
  equal(second.payload.sub, 'alice');
  equal(second.payload.aud, 'kanban');
  deepStrictEqual(second.payload.groups, ['ops']);

  // bob on the other client: an ID token whose audience is not kanban.
  console.log('bob, device flow on client other:');
  const otherTokens = await signIn(config, 'other', 'bob');
  const other = await verifiedJwt(config, otherTokens.id_token);
  console.log(`  ID token: ${JSON.stringify(other.payload)}`);
  equal(other.payload.aud, 'other');
  equal(other.payload.preferred_username, 'bob');
  deepStrictEqual(other.payload.groups, ['ops', 'everyone']);

  // bob aborts on the confirmation page: the device is told access_denied.
  console.log('bob denies a device flow on client kanban:');
  const denied = await signIn(config, 'kanban', 'bob', 'deny');
  console.log(`  token endpoint: ${JSON.stringify(denied)}`);
  equal(denied.error, 'access_denied');

  // Key rotation: restart with a new first key, the old one kept second.
  stop(provider);
  provider = await startProvider({ OIDC_KEYS_FILE: keysFile, OIDC_KEYS_ROTATE: '1' });
  console.log(`restarted with a rotated key: ${provider.issuer}`);
  const rotatedConfig = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
  const rotated = await verifiedJwt(rotatedConfig, (await signIn(rotatedConfig, 'kanban', 'bob')).id_token);
  console.log(`  keys: ${rotated.keys.map((k) => k.kid).join(', ')}; signed by ${rotated.header.kid}`);
  equal(rotated.keys.length, 2);
  equal(rotated.keys[1].kid, first.header.kid, 'the old key stays second');
  equal(rotated.header.kid, rotated.keys[0].kid, 'the new key signs');
  notEqual(rotated.header.kid, first.header.kid);

  console.log('smoke: ok');
} catch (err) {
  console.error(`smoke: FAILED: ${err.stack ?? err}`);
  if (provider) console.error(`provider log:\n${provider.log.join('')}`);
  process.exitCode = 1;
} finally {
  stop(provider);
  rmSync(dir, { recursive: true, force: true });
}
