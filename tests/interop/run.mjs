// kanban-server against clients nobody here wrote: pusher-js (its Node build) over
// the WebSocket, and the `pusher` Node SDK over the HTTP API. Each run starts real
// servers from the kanban-server binary on free loopback ports with temporary data
// directories; users and projects are made with its command line.
//
// Prints one line per test and closes with "N passed, N failed"; exits non-zero on
// any failure.

import { deepStrictEqual } from 'node:assert';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const PusherClient = require('pusher-js');
const PusherSdk = require('pusher');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.KANBAN_SERVER_BIN ?? path.resolve(HERE, '../../target/debug/kanban-server');
const WAIT_MS = 15000;

// ---------------------------------------------------------------- harness

/** A kanban-server process with its own data directory. */
class Server {
  constructor(dir, child, port) {
    this.dir = dir;
    this.child = child;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  /**
   * Starts a server; `port` 0 takes a free one (read back from its log). With
   * `database` (a PostgreSQL URL) it is a node of a site on it.
   */
  static async start({ dir, port = 0, args = [], database, env: more = {} } = {}) {
    dir ??= mkdtempSync(path.join(tmpdir(), 'kanban-interop-'));
    if (database) args = ['--database', database, ...args];
    const env = { ...process.env, RUST_LOG: 'info' };
    for (const k of Object.keys(env)) if (k.startsWith('KANBAN_')) delete env[k];
    Object.assign(env, more);
    const child = spawn(BIN, ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const bound = await new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`no listening line in time:\n${log}`)), WAIT_MS);
      child.stderr.on('data', (chunk) => {
        log += chunk;
        const m = log.match(/listening addr=127\.0\.0\.1:(\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`kanban-server exited (${code}):\n${log}`)));
    });
    const server = new Server(dir, child, bound);
    // The whole log, for tests that look at what the server wrote.
    server.log = '';
    child.stderr.on('data', (chunk) => {
      server.log += chunk;
    });
    server.database = database;
    const app = server.admin('app');
    const field = (name) => app.match(new RegExp(`^${name}\\t(.*)$`, 'm'))[1];
    server.appId = field('app_id');
    server.key = field('key');
    server.secret = field('secret');
    return server;
  }

  /** Runs an admin command on this server's data; answers its stdout, trimmed. */
  admin(...args) {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('KANBAN_')) delete env[k];
    const database = this.database ? ['--database', this.database] : [];
    return execFileSync(BIN, ['--data-dir', this.dir, ...database, ...args], { env }).toString().trim();
  }

  /** Stops with SIGTERM (a graceful shutdown) and waits for the exit. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  async destroy() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The Node SDK, signed with this server's app (or the given) secret. */
  sdk(overrides = {}) {
    return new PusherSdk({
      appId: this.appId,
      key: this.key,
      secret: this.secret,
      host: '127.0.0.1',
      port: String(this.port),
      useTLS: false,
      ...overrides,
    });
  }

  /**
   * A pusher-js client authorizing channels through the server with `token`
   * (and signing in through it, with `signin()`); `more` adds to its options.
   */
  client(token, channelAuthorization = {}, more = {}) {
    const pusher = new PusherClient(this.key, {
      cluster: 'kanban',
      wsHost: '127.0.0.1',
      wsPort: this.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        endpoint: `${this.url}/api/pusher/auth`,
        transport: 'ajax',
        headers: { Authorization: `Bearer ${token}` },
        ...channelAuthorization,
      },
      userAuthentication: {
        endpoint: `${this.url}/api/pusher/user-auth`,
        transport: 'ajax',
        headers: { Authorization: `Bearer ${token}` },
      },
      ...more,
    });
    clients.push(pusher);
    return pusher;
  }

  async rest(method, route, token, body) {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }
}

const clients = [];

/** Resolves with the first `event` on `emitter` (a channel, connection or client). */
function once(emitter, event, what = event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.unbind(event, handler);
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    function handler(data, meta) {
      clearTimeout(timer);
      emitter.unbind(event, handler);
      resolve({ data, meta });
    }
    emitter.bind(event, handler);
  });
}

function onceWithin(emitter, event, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    emitter.bind(event, function handler(data) {
      clearTimeout(timer);
      emitter.unbind(event, handler);
      resolve(data);
    });
  });
}

async function connected(pusher) {
  if (pusher.connection.state !== 'connected') await once(pusher.connection, 'connected', 'a connection');
  return pusher;
}

async function subscribed(pusher, name) {
  const channel = pusher.subscribe(name);
  const result = await Promise.race([
    once(channel, 'pusher:subscription_succeeded', `subscribing ${name}`).then(({ data }) => ({ ok: data })),
    once(channel, 'pusher:subscription_error', `subscribing ${name}`).then(({ data }) => ({ error: data })),
  ]);
  if (result.error) throw new Error(`subscribing ${name} failed: ${JSON.stringify(result.error)}`);
  return channel;
}

/** The subscription error of `name`, failing if it succeeds. */
async function refused(pusher, name) {
  const channel = pusher.subscribe(name);
  const result = await Promise.race([
    once(channel, 'pusher:subscription_succeeded').then(() => ({ ok: true })),
    once(channel, 'pusher:subscription_error').then(({ data }) => ({ error: data })),
  ]);
  if (!result.error) throw new Error(`${name} was not refused`);
  return result.error;
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, message) {
  try {
    deepStrictEqual(actual, expected);
  } catch {
    throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Resolves once `check()` holds, re-checking on every `event` of `emitter`. */
function until(emitter, event, check, what) {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      emitter.unbind(event, handler);
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    function handler() {
      if (check()) {
        clearTimeout(timer);
        emitter.unbind(event, handler);
        resolve();
      }
    }
    emitter.bind(event, handler);
  });
}

/** Polls the HTTP API until a channel's subscription count is `n`. */
async function subscriptions(server, channel, n) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const res = await server.sdk().get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } });
    const info = await res.json();
    if ((info.subscription_count ?? 0) === n) return;
    if (Date.now() > deadline) throw new Error(`${channel} never had ${n} subscriptions: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Collects events named `event` on `channel` until a marker event arrives, sent
 * through the server after whatever is under test: events reach a connection in
 * order, so anything the test caused has arrived by then.
 */
async function collectUntilMarker(server, channel, event, marker) {
  const seen = [];
  const handler = (data, meta) => seen.push({ data, meta });
  channel.bind(event, handler);
  const arrived = once(channel, marker, `the marker ${marker}`);
  await server.sdk().trigger(channel.name, marker, {});
  await arrived;
  channel.unbind(event, handler);
  return seen;
}

// ---------------------------------------------------------------- the tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

let main; // the shared server: ann (owner), bob (member), eve (not a member)
let ann, bob, eve, pid, annId, bobId;

// The app's encryption master key, as the SDKs take it (encryptionMasterKeyBase64).
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

async function setup() {
  main = await Server.start({ env: { KANBAN_ENCRYPTION_MASTER_KEY: MASTER_KEY } });
  ann = main.admin('user', 'add', 'ann');
  bob = main.admin('user', 'add', 'bob');
  eve = main.admin('user', 'add', 'eve');
  pid = main.admin('project', 'add', 'Launch', '--member', 'ann:owner', '--member', 'bob');
  main.admin('project', 'add', 'Other', '--member', 'eve');
  annId = String((await main.rest('GET', '/api/me', ann)).body.id);
  bobId = String((await main.rest('GET', '/api/me', bob)).body.id);
}

test('connects and gets a socket id of the protocol form', async () => {
  const p = await connected(main.client(ann));
  assert(/^\d+\.\d+$/.test(p.connection.socket_id), `socket id ${p.connection.socket_id}`);
  p.disconnect();
});

test('presence: me, members, count, member_added and member_removed', async () => {
  const a = await connected(main.client(ann));
  const channel = await subscribed(a, `presence-project-${pid}`);
  equal(channel.members.me.id, annId, 'me.id');
  equal(channel.members.me.info.name, 'ann', 'me.info.name');
  equal(channel.members.count, 1, 'count alone');
  const added = once(channel, 'pusher:member_added', 'bob joining');
  const b = await connected(main.client(bob));
  const bChannel = await subscribed(b, `presence-project-${pid}`);
  const { data: member } = await added;
  equal(member.id, bobId, 'the added member');
  equal(member.info.name, 'bob', 'its info');
  equal(bChannel.members.count, 2, 'count seen by bob');
  const removed = once(channel, 'pusher:member_removed', 'bob leaving');
  b.disconnect();
  equal((await removed).data.id, bobId, 'the removed member');
  equal(channel.members.count, 1, 'count after');
  a.disconnect();
});

test('presence: one member per user across two connections', async () => {
  const b = await connected(main.client(bob));
  const watch = await subscribed(b, `presence-project-${pid}`);
  const added = [];
  const removed = [];
  watch.bind('pusher:member_added', (m) => added.push(m.id));
  watch.bind('pusher:member_removed', (m) => removed.push(m.id));
  const a1 = await connected(main.client(ann));
  await subscribed(a1, `presence-project-${pid}`);
  const a2 = await connected(main.client(ann));
  const second = await subscribed(a2, `presence-project-${pid}`);
  equal(second.members.count, 2, 'ann twice counts once');
  a2.disconnect();
  // The server has seen the tab go when the channel is down to two connections.
  await subscriptions(main, `presence-project-${pid}`, 2);
  await collectUntilMarker(main, await subscribed(b, `private-project-${pid}`), 'x', 'marker-1');
  equal(added, [annId], 'one member_added');
  equal(removed, [], 'no member_removed while a tab remains');
  const gone = once(watch, 'pusher:member_removed', 'ann leaving');
  a1.disconnect();
  equal((await gone).data.id, annId, 'removed with the last connection');
  b.disconnect();
});

test('a non-member, a wrong token and a forged signature are refused', async () => {
  const e = await connected(main.client(eve));
  const nonMember = await refused(e, `presence-project-${pid}`);
  equal(nonMember.status, 403, 'non-member status');
  e.disconnect();
  const w = await connected(main.client('kb_wrong'));
  const wrong = await refused(w, `private-project-${pid}`);
  equal(wrong.status, 401, 'wrong token status');
  w.disconnect();
  const forged = await connected(
    main.client(ann, {
      customHandler: (_params, callback) => callback(null, { auth: `${main.key}:${'0'.repeat(64)}` }),
    }),
  );
  const forgedRefusal = await refused(forged, `private-project-${pid}`);
  equal(forgedRefusal.status, 401, 'forged signature status');
  forged.disconnect();
});

test('client events: relayed with user_id, not echoed, refused on public and board channels', async () => {
  const a = await connected(main.client(ann));
  const b = await connected(main.client(bob));
  const aChannel = await subscribed(a, `presence-project-${pid}`);
  const bChannel = await subscribed(b, `presence-project-${pid}`);
  const echoes = [];
  aChannel.bind('client-cursor-move', (d) => echoes.push(d));
  const relayed = once(bChannel, 'client-cursor-move', 'the relayed cursor');
  aChannel.trigger('client-cursor-move', { status_id: 1, task_id: null });
  const { data, meta } = await relayed;
  equal(data, { status_id: 1, task_id: null }, 'the data');
  equal(meta.user_id, annId, 'user_id added on presence channels');
  const board = await subscribed(a, `private-project-${pid}`);
  await collectUntilMarker(main, board, 'x', 'marker-2');
  equal(echoes, [], 'not echoed to the sender');

  // The board channel carries only the server's events.
  const boardRefused = once(a.connection, 'error', 'a refusal on the board channel');
  board.trigger('client-evil', { rev: 1000, by: 1 });
  const boardRefusal = (await boardRefused).data;
  assert(/server's events/.test(boardRefusal.data.message), boardRefusal.data.message);

  const lobby = await subscribed(a, 'lobby');
  const error = once(a.connection, 'error', 'a refusal');
  lobby.trigger('client-nope', {});
  const refusal = (await error).data;
  assert(refusal.type === 'PusherError', `a PusherError: ${JSON.stringify(refusal)}`);
  assert(/private and presence/.test(refusal.data.message), refusal.data.message);
  equal(a.connection.state, 'connected', 'the connection stays');
  a.disconnect();
  b.disconnect();
});

test('client events over the rate limit answer 4301 and the connection stays', async () => {
  const limited = await Server.start({ args: ['--client-event-rate', '5'] });
  try {
    const token = limited.admin('user', 'add', 'ann');
    const p = limited.admin('project', 'add', 'P', '--member', 'ann');
    const a = await connected(limited.client(token));
    const channel = await subscribed(a, `presence-project-${p}`);
    const codes = [];
    a.connection.bind('error', (e) => codes.push(e.data?.code));
    for (let i = 0; i < 20; i++) channel.trigger('client-cursor-move', { status_id: i, task_id: null });
    // A burst of 20 over a limit of 5 per second: most are refused, each with 4301.
    await until(a.connection, 'error', () => codes.filter((c) => c === 4301).length >= 10, 'ten 4301 errors');
    equal(a.connection.state, 'connected', 'still connected');
    a.disconnect();
  } finally {
    await limited.destroy();
  }
});

test('the SDK triggers: trigger, triggerBatch, socket_id exclusion', async () => {
  const a = await connected(main.client(ann));
  const b = await connected(main.client(bob));
  const aChannel = await subscribed(a, `private-project-${pid}`);
  const bChannel = await subscribed(b, `private-project-${pid}`);
  const sdk = main.sdk();

  const got = once(aChannel, 'hello', 'a triggered event');
  const res = await sdk.trigger(`private-project-${pid}`, 'hello', { x: 1 });
  equal(res.status, 200, 'trigger status');
  equal((await got).data, { x: 1 }, 'the data');

  const one = once(bChannel, 'batch-1', 'batch event 1');
  const two = once(bChannel, 'batch-2', 'batch event 2');
  await sdk.triggerBatch([
    { channel: `private-project-${pid}`, name: 'batch-1', data: { n: 1 } },
    { channel: `private-project-${pid}`, name: 'batch-2', data: { n: 2 } },
  ]);
  equal([(await one).data, (await two).data], [{ n: 1 }, { n: 2 }], 'both batch events');

  const excluded = [];
  aChannel.bind('not-for-ann', (d) => excluded.push(d));
  const toBob = once(bChannel, 'not-for-ann', 'the event at bob');
  await sdk.trigger(`private-project-${pid}`, 'not-for-ann', {}, { socket_id: a.connection.socket_id });
  await toBob;
  await collectUntilMarker(main, aChannel, 'x', 'marker-4');
  equal(excluded, [], 'the excluded socket got nothing');
  a.disconnect();
  b.disconnect();
});

test('a task created over REST arrives at pusher-js as task-created', async () => {
  const a = await connected(main.client(ann));
  const channel = await subscribed(a, `private-project-${pid}`);
  const created = once(channel, 'task-created', 'task-created');
  const { status, body } = await main.rest('POST', `/api/projects/${pid}/tasks`, bob, { title: 'From REST' });
  equal(status, 201, 'created');
  const { data } = await created;
  equal(data.task.title, 'From REST', 'the task');
  equal(data.rev, body.rev, 'its revision');
  equal(String(data.by), bobId, 'by bob');
  a.disconnect();
});

test("a person's own channel: pusher-js hears their mention; another person is refused it", async () => {
  const b = await connected(main.client(bob));
  const own = await subscribed(b, `private-user-${bobId}`);
  const told = once(own, 'notification-created', 'the mention');
  const made = await main.rest('POST', `/api/projects/${pid}/tasks`, ann, { title: 'Ask bob' });
  equal(made.status, 201, 'the card');
  const said = await main.rest('POST', `/api/tasks/${made.body.task.id}/comments`, ann, { body: '@bob can you?' });
  equal(said.status, 201, 'the comment');
  const { data } = await told;
  equal(data.kind, 'mentioned', 'its kind');
  equal(data.what, 'ann mentioned you in a comment on “Ask bob”: @bob can you?', 'its words');
  const read = once(own, 'notifications-read', 'the read mark');
  const marked = await main.rest('POST', '/api/notifications/read', bob, { ids: [data.id] });
  equal(marked.body.unread, 0, 'none unread');
  equal((await read).data.ids, [data.id], 'the mark reaches pusher-js');
  b.disconnect();
  const e = await connected(main.client(eve));
  const refusal = await refused(e, `private-user-${bobId}`);
  equal(refusal.status, 403, "eve on bob's channel");
  e.disconnect();
});

test('encrypted channels: pusher-js decrypts what the SDK sealed; the wire and the log carry ciphertext only', async () => {
  const name = `private-encrypted-project-${pid}`;
  const a = await connected(main.client(ann));
  const raw = [];
  a.connection.bind('message', (m) => raw.push(m));
  const channel = await subscribed(a, name);
  const sdk = main.sdk({ encryptionMasterKeyBase64: MASTER_KEY });
  const got = once(channel, 'plan', 'the decrypted event');
  equal((await sdk.trigger(name, 'plan', { text: 'launch at dawn' })).status, 200, 'the sealed trigger');
  equal((await got).data, { text: 'launch at dawn' }, 'pusher-js decrypts it with the secret the auth gave');
  const frame = raw.find((m) => m.event === 'plan');
  assert(frame && typeof frame.data.ciphertext === 'string' && typeof frame.data.nonce === 'string', 'sealed on the wire');
  assert(!JSON.stringify(frame).includes('dawn'), `the wire carried the text: ${JSON.stringify(frame)}`);
  assert(!main.log.includes('dawn'), 'the log holds the text');
  // Plain data to an encrypted channel is refused; so are client events.
  const plain = await sdk
    .post({ path: '/events', body: { name: 'plan', channels: [name], data: JSON.stringify({ text: 'in the clear' }) } })
    .then((res) => res.status, (e) => e.status);
  equal(plain, 400, 'plain data refused');
  const error = once(a.connection, 'error', 'the refusal of a client event');
  a.send_event('client-plan', { text: 'unsealed' }, name);
  const said = JSON.stringify((await error).data);
  assert(said.includes('not allowed on encrypted channels'), said);
  // A non-member is refused the channel, and so its secret.
  const e = await connected(main.client(eve));
  equal((await refused(e, name)).status, 403, 'eve on the encrypted channel');
  a.disconnect();
});

test('cache channels: a new subscriber gets the last event (client events too), or pusher:cache_miss', async () => {
  const sdk = main.sdk();
  // Channels beside the board are authorized by the app's own backend (here the SDK).
  const byApp = { customHandler: ({ socketId, channelName }, cb) => cb(null, sdk.authorizeChannel(socketId, channelName, channelName.startsWith('presence-') ? { user_id: 'app-user' } : undefined)) };
  const name = `cache-status-${process.pid}`;
  const a = await connected(main.client(ann));
  const first = a.subscribe(name);
  await once(first, 'pusher:cache_miss', 'the miss of an empty cache channel');
  await sdk.trigger(name, 'status', { v: 1 });
  await sdk.trigger(name, 'status', { v: 2 });
  await collectUntilMarker(main, first, 'status', 'marker-cache');
  const b = await connected(main.client(bob));
  const late = b.subscribe(name);
  const misses = [];
  late.bind('pusher:cache_miss', () => misses.push(1));
  const kept = await once(late, 'marker-cache', 'the last event, given on subscribing');
  equal(kept.data, {}, 'the last event was the marker');
  equal(misses, [], 'no miss where an event is kept');
  // A client event on a presence cache channel is kept, with its user.
  const presence = `presence-cache-room-${process.pid}`;
  const c = await connected(main.client(ann, byApp));
  const room = await subscribed(c, presence);
  room.trigger('client-typing', { on: true });
  const d = await connected(main.client(bob, byApp));
  const joined = d.subscribe(presence);
  const { data, meta } = await once(joined, 'client-typing', 'the kept client event');
  equal([data, meta?.user_id], [{ on: true }, 'app-user'], 'the client event and its user');
});

test('users: signin through the server, the watchlist online and offline, sendToUser, terminateUserConnections', async () => {
  const a = await connected(main.client(ann));
  const signed = once(a, 'pusher:signin_success', 'ann signed in');
  a.signin();
  equal(JSON.parse((await signed).data.user_data).id, annId, 'signed in as ann');
  const told = [];
  for (const name of ['online', 'offline']) a.user.watchlist.bind(name, (e) => told.push([e.name, e.user_ids]));
  // bob shares Launch with ann, so ann's watchlist names him.
  const b = await connected(main.client(bob));
  const cameOnline = until(a.connection, 'message', () => told.length >= 1, 'bob online');
  b.signin();
  await cameOnline;
  const wentOffline = until(a.connection, 'message', () => told.length >= 2, 'bob offline');
  b.disconnect();
  await wentOffline;
  equal(told, [['online', [bobId]], ['offline', [bobId]]], "ann's watchlist events");
  // The app sends to ann herself (once her own channel is subscribed: sent again until heard).
  const sdk = main.sdk();
  const heard = once(a.user, 'direct', 'an event sent to ann');
  let got = null;
  heard.then(({ data }) => (got = data));
  for (let i = 0; !got && i < 50; i++) {
    await sdk.sendToUser(annId, 'direct', { hi: 'ann' });
    await new Promise((r) => setTimeout(r, 100));
  }
  equal((await heard).data, { hi: 'ann' }, 'sendToUser reached her');
  // Another connection may not take her channel.
  const e = await connected(main.client(eve));
  // (pusher-js subscribes to such channels only for its own user: sent raw here.)
  const notHers = once(e, 'pusher:subscription_error', "eve refused ann's channel");
  e.send_event('pusher:subscribe', { channel: `#server-to-user-${annId}`, auth: '' });
  equal((await notHers).data.status, 401, "eve on ann's own channel");
  // A forged signin is refused with 4009 and the connection stays.
  const error = once(e.connection, 'error', 'the refused signin');
  e.send_event('pusher:signin', { auth: `${main.key}:${'0'.repeat(64)}`, user_data: JSON.stringify({ id: annId }) });
  assert(JSON.stringify((await error).data).includes('4009'), 'a 4009 error');
  equal(e.connection.state, 'connected', 'eve stays connected');
  // terminateUserConnections ends every connection of ann's, and hers alone.
  const second = await connected(main.client(ann));
  second.signin();
  await once(second, 'pusher:signin_success', "ann's second connection signed in");
  const ended = [once(a.connection, 'disconnected', 'the first ended'), once(second.connection, 'disconnected', 'the second ended')];
  equal((await sdk.terminateUserConnections(annId)).status, 200, 'terminated');
  await Promise.all(ended);
  equal(e.connection.state, 'connected', 'eve is left be');
});

test('the HTTP API queries: channels, one channel, presence users', async () => {
  const a = await connected(main.client(ann));
  const b = await connected(main.client(bob));
  await subscribed(a, `presence-project-${pid}`);
  await subscribed(b, `presence-project-${pid}`);
  await subscribed(b, 'lobby');
  const sdk = main.sdk();
  const presence = `presence-project-${pid}`;

  const list = await (await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json();
  equal(list.channels[presence], { user_count: 2 }, 'presence channels with user_count');
  assert(!('lobby' in list.channels), 'the prefix filters');

  const one = await (await sdk.get({ path: `/channels/${presence}`, params: { info: 'user_count,subscription_count' } })).json();
  equal(one, { occupied: true, user_count: 2, subscription_count: 2 }, 'one channel');

  const users = await (await sdk.get({ path: `/channels/${presence}/users` })).json();
  equal(users.users.map((u) => u.id).sort(), [annId, bobId].sort(), 'presence users');
  a.disconnect();
  b.disconnect();
});

test('a wrongly signed HTTP API request is refused', async () => {
  let status = 0;
  try {
    await main.sdk({ secret: 'not-the-secret' }).trigger('lobby', 'e', {});
  } catch (e) {
    status = e.status;
  }
  equal(status, 401, 'status');
});

test('a revoked member: pusher-js reconnects, the member is refused, the others subscribe again', async () => {
  const server = await Server.start();
  try {
    const a = server.admin('user', 'add', 'ann');
    const b = server.admin('user', 'add', 'bob');
    const p = server.admin('project', 'add', 'P', '--member', 'ann', '--member', 'bob');
    const name = `private-project-${p}`;
    const annClient = await connected(server.client(a));
    const annChannel = await subscribed(annClient, name);
    const bobClient = await connected(server.client(b));
    const bobChannel = await subscribed(bobClient, name);
    const annAgain = once(annChannel, 'pusher:subscription_succeeded', 'ann subscribed again');
    const bobRefused = once(bobChannel, 'pusher:subscription_error', 'bob refused on his way back');
    server.admin('project', 'revoke', 'P', 'bob');
    equal((await bobRefused).data.status, 403, 'bob is no longer a member');
    await annAgain;
    const created = once(annChannel, 'task-created', 'a task created after the revocation');
    const { status } = await server.rest('POST', `/api/projects/${p}/tasks`, a, { title: 'after' });
    equal(status, 201, 'create status');
    equal((await created).data.task.title, 'after', 'ann still hears the board');
  } finally {
    await server.destroy();
  }
});

test('pusher-js reconnects after a server restart and receives events again', async () => {
  const first = await Server.start();
  let second;
  try {
    const token = first.admin('user', 'add', 'ann');
    const p = first.admin('project', 'add', 'P', '--member', 'ann');
    const a = await connected(first.client(token));
    const channel = await subscribed(a, `private-project-${p}`);
    const before = a.connection.socket_id;
    // pusher-js finds the server gone at its first try and retries after about
    // fifteen seconds (its "unavailable" timeout): wait for that.
    const resubscribed = onceWithin(channel, 'pusher:subscription_succeeded', 45000, 'the resubscription');
    await first.stop();
    second = await Server.start({ dir: first.dir, port: first.port });
    await resubscribed;
    assert(a.connection.socket_id !== before, 'a new socket');
    const got = once(channel, 'after-restart', 'an event after the restart');
    await second.sdk().trigger(`private-project-${p}`, 'after-restart', { ok: true });
    equal((await got).data, { ok: true }, 'the event');
    a.disconnect();
  } finally {
    await (second ?? first).destroy();
    await first.stop();
  }
});

// ---------------------------------------------------------------- cluster mode

// Nodes of one site on this machine's PostgreSQL and a broker (Redis or NATS):
// skipped, and said so, where they do not answer, unless KANBAN_TEST_REQUIRE_SERVICES.
const PG_URL = process.env.KANBAN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BROKERS = {
  redis: process.env.KANBAN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.KANBAN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
};

/** Whether something listens where `url` points; the reason when not. */
function answers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname, port: Number(port) });
    const done = (why) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(2000, () => done(`${url}: no answer`));
    socket.once('connect', () => done(null));
    socket.once('error', (e) => done(`${url}: ${e.message}`));
  });
}

/** Runs SQL on the tests' PostgreSQL with psql. */
function sql(statement) {
  execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', PG_URL, '-c', statement], { stdio: ['ignore', 'ignore', 'pipe'] });
}

let schemas = 0;

/** `n` nodes on a PostgreSQL schema of their own and the broker at `broker`. */
class Cluster {
  static async start(broker, n = 3) {
    const schema = `ki_${Math.floor(Date.now() / 1000)}_${process.pid}_${schemas++}`;
    sql(`CREATE SCHEMA ${schema}`);
    const database = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'kanban-interop-'));
    const cluster = new Cluster(schema, dir, []);
    try {
      for (let i = 0; i < n; i++) cluster.nodes.push(await Server.start({ dir, database, args: ['--broker', broker] }));
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
    return cluster;
  }

  constructor(schema, dir, nodes) {
    this.schema = schema;
    this.dir = dir;
    this.nodes = nodes;
  }

  admin(...args) {
    return this.nodes[0].admin(...args);
  }

  async destroy() {
    for (const node of this.nodes) await node.stop();
    rmSync(this.dir, { recursive: true, force: true });
    try {
      sql(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    } catch {
      // One left behind is dropped, an hour on, by the Rust suite's cleanup.
    }
  }
}

/** A cluster test on each broker, skipped where it or PostgreSQL does not answer. */
function clusterTest(name, fn) {
  for (const [scheme, broker] of Object.entries(BROKERS)) {
    test(`cluster (${scheme}): ${name}`, async () => {
      const why = (await answers(PG_URL)) ?? (await answers(broker));
      if (why) {
        if (process.env.KANBAN_TEST_REQUIRE_SERVICES) throw new Error(`required and not answering: ${why}`);
        return 'skipped: ' + why;
      }
      const cluster = await Cluster.start(broker);
      try {
        await fn(cluster);
      } finally {
        await cluster.destroy();
      }
    });
  }
}

clusterTest('pusher-js on different nodes share presence, cursors, cards and the HTTP API', async (cluster) => {
  const [n0, n1, n2] = cluster.nodes;
  const annToken = cluster.admin('user', 'add', 'ann');
  const bobToken = cluster.admin('user', 'add', 'bob');
  const p = cluster.admin('project', 'add', 'P', '--member', 'ann', '--member', 'bob');
  const annIs = String((await n0.rest('GET', '/api/me', annToken)).body.id);
  const b = await connected(n1.client(bobToken));
  const bPresence = await subscribed(b, `presence-project-${p}`);
  const bBoard = await subscribed(b, `private-project-${p}`);
  const added = once(bPresence, 'pusher:member_added', 'ann joining on another node');
  const a = await connected(n0.client(annToken));
  const aPresence = await subscribed(a, `presence-project-${p}`);
  const aBoard = await subscribed(a, `private-project-${p}`);
  equal((await added).data.id, annIs, 'the added member');
  equal(aPresence.members.count, 2, 'the snapshot on node 0 lists bob on node 1');
  // A cursor from node 0 reaches node 1 with its user, and not its sender.
  const echoes = [];
  aPresence.bind('client-cursor-move', (d) => echoes.push(d));
  const relayed = once(bPresence, 'client-cursor-move', 'the cursor across nodes');
  aPresence.trigger('client-cursor-move', { status_id: 1, task_id: null });
  const { data, meta } = await relayed;
  equal(data, { status_id: 1, task_id: null }, 'the cursor');
  equal(meta?.user_id, annIs, 'its user_id');
  // A card made through node 2 reaches both.
  const atA = once(aBoard, 'task-created', 'the card on node 0');
  const atB = once(bBoard, 'task-created', 'the card on node 1');
  const made = await n2.rest('POST', `/api/projects/${p}/tasks`, bobToken, { title: 'Across' });
  equal(made.status, 201, 'created');
  equal([(await atA).data.task.title, (await atB).data.task.title], ['Across', 'Across'], 'both have it');
  // The SDK on node 2 sees the cluster, and its trigger reaches node 0.
  await subscriptions(n2, `presence-project-${p}`, 2);
  const res = await n2.sdk().get({ path: `/channels/presence-project-${p}`, params: { info: 'subscription_count,user_count' } });
  const info = await res.json();
  equal([info.subscription_count, info.user_count], [2, 2], 'counts for the cluster');
  const news = once(aBoard, 'news', 'a trigger through another node');
  await n2.sdk().trigger(`private-project-${p}`, 'news', { n: 1 });
  equal((await news).data, { n: 1 }, 'the triggered event');
  equal(echoes, [], 'the sender got no echo');
  const removed = once(bPresence, 'pusher:member_removed', 'ann leaving node 0');
  a.disconnect();
  equal((await removed).data.id, annIs, 'the removed member');
  b.disconnect();
  // terminateUserConnections through node 2 ends ann's signed-in connections on
  // nodes 0 and 1.
  const signedIn = [];
  for (const node of [n0, n1]) {
    const c = await connected(node.client(annToken));
    const ok = once(c, 'pusher:signin_success', 'ann signed in on a node');
    c.signin();
    await ok;
    signedIn.push(c);
  }
  const ended = signedIn.map((c) => once(c.connection, 'disconnected', "ann's connection ended"));
  equal((await n2.sdk().terminateUserConnections(annIs)).status, 200, 'terminated');
  await Promise.all(ended);
  // A cache channel's last event, published through node 0, is given on node 2.
  const cache = `cache-cluster-${process.pid}`;
  await n0.sdk().trigger(cache, 'state', { v: 'kept' });
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const c = await connected(n2.client(bobToken));
    const channel = c.subscribe(cache);
    const got = await Promise.race([
      once(channel, 'state', 'the kept event on another node').then(({ data }) => data),
      once(channel, 'pusher:cache_miss', 'a miss').then(() => null),
    ]);
    c.disconnect();
    if (got) {
      equal(got, { v: 'kept' }, 'the cluster kept it');
      break;
    }
    // The publish crosses the broker a moment after the trigger's answer.
    if (Date.now() > deadline) throw new Error('node 2 never had the cache channel\'s event');
    await new Promise((r) => setTimeout(r, 50));
  }
  // Watchlists across nodes: ann on node 0 watches bob (they share P) as he
  // signs in on node 1 and leaves, then on node 2, which is killed.
  const bobIs = String((await n0.rest('GET', '/api/me', bobToken)).body.id);
  const watcher = await connected(n0.client(annToken));
  const told = [];
  for (const name of ['online', 'offline']) watcher.user.watchlist.bind(name, (e) => told.push([e.name, e.user_ids]));
  const watching = once(watcher, 'pusher:signin_success', 'ann signed in to watch');
  watcher.signin();
  await watching;
  const heard = (n, what) => until(watcher.connection, 'message', () => told.length >= n, what);
  const onNode1 = await connected(n1.client(bobToken));
  onNode1.signin();
  await heard(1, 'bob online on another node');
  onNode1.disconnect();
  await heard(2, 'bob offline on another node');
  const onNode2 = await connected(n2.client(bobToken));
  onNode2.signin();
  await heard(3, 'bob online on node 2');
  const killed = new Promise((r) => n2.child.once('exit', r));
  n2.child.kill('SIGKILL');
  await killed;
  await heard(4, "bob offline once node 2 is silent");
  const on = ['online', [bobIs]];
  const off = ['offline', [bobIs]];
  equal(told, [on, off, on, off], "ann's watchlist events, once each");
});

clusterTest('pusher-js subscribers on every node get every card in revision order while every node writes', async (cluster) => {
  const token = cluster.admin('user', 'add', 'ann');
  const p = cluster.admin('project', 'add', 'P', '--member', 'ann');
  const seen = [];
  for (const node of cluster.nodes) {
    const c = await connected(node.client(token));
    const board = await subscribed(c, `private-project-${p}`);
    const revs = [];
    board.bind('task-created', (d) => revs.push(d.rev));
    seen.push(revs);
  }
  const EACH = 15;
  await Promise.all(
    cluster.nodes.map(async (node, i) => {
      for (let k = 0; k < EACH; k++) {
        const { status } = await node.rest('POST', `/api/projects/${p}/tasks`, token, { title: `n${i} #${k}` });
        equal(status, 201, 'created');
      }
    }),
  );
  const total = EACH * cluster.nodes.length;
  const all = Array.from({ length: total }, (_, i) => i + 1);
  const deadline = Date.now() + WAIT_MS;
  while (seen.some((revs) => revs.length < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  seen.forEach((revs, i) => equal(revs, all, `node ${i}: every revision once, in order`));
});

// ---------------------------------------------------------------- runner

async function run() {
  PusherClient.logToConsole = false;
  let passed = 0;
  let failed = 0;
  try {
    await setup();
  } catch (e) {
    console.log(`not ok - setup: ${e.stack ?? e}`);
    console.log(`0 passed, ${tests.length} failed`);
    process.exit(1);
  }
  // `node run.mjs WORDS` runs only the tests whose names hold WORDS.
  const only = process.argv.slice(2).join(' ');
  for (const { name, fn } of tests.filter((t) => t.name.includes(only))) {
    try {
      const outcome = await Promise.race([
        fn(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('test timed out')), 4 * WAIT_MS)),
      ]);
      passed++;
      console.log(typeof outcome === 'string' ? `ok - ${name} # ${outcome}` : `ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}: ${e.stack ?? e}`);
    } finally {
      while (clients.length) clients.pop().disconnect();
    }
  }
  await main.destroy();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

run();
