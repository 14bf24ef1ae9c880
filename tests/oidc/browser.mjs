// A person's browser for the device flow (RFC 8628), driven from a test.
//
//   node browser.mjs VERIFICATION_URI USER_CODE LOGIN [confirm|deny]
//
// Opens the verification page, enters the user code, signs in as LOGIN (any
// password) and consents, as a person would on the provider's HTML pages; with
// `deny` it aborts on the device confirmation page instead. Forms are read from
// each page (action, method, hidden inputs such as xsrf, field names) rather than
// assumed. Cookies are kept per host and path; redirects are followed here.
//
// Exit 0 when the provider's last page says the device is signed in (or, with
// `deny`, that the sign-in was aborted); exit 1 with the page's text otherwise.

const [verificationUri, userCode, login, mode = 'confirm'] = process.argv.slice(2);
if (!verificationUri || !userCode || !login || !['confirm', 'deny'].includes(mode)) {
  console.error('usage: node browser.mjs VERIFICATION_URI USER_CODE LOGIN [confirm|deny]');
  process.exit(2);
}

const PASSWORD = 'any-password';
const MAX_STEPS = 20;

// ---------------------------------------------------------------- cookies

/** Cookies by host; each remembers its path. Enough for one test provider. */
class Jar {
  #cookies = new Map(); // host -> Map(`${path}\0${name}` -> {name, value, path})

  store(url, response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const cookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path: null };
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') cookie.path = v.trim();
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      if (!cookie.path?.startsWith('/')) cookie.path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      if (!this.#cookies.has(url.host)) this.#cookies.set(url.host, new Map());
      const key = `${cookie.path}\0${cookie.name}`;
      if (expired) this.#cookies.get(url.host).delete(key);
      else this.#cookies.get(url.host).set(key, cookie);
    }
  }

  header(url) {
    const matches = [...(this.#cookies.get(url.host)?.values() ?? [])].filter(({ path }) => (
      url.pathname === path
      || (url.pathname.startsWith(path) && (path.endsWith('/') || url.pathname[path.length] === '/'))
    ));
    // Longer paths first, as browsers send them.
    matches.sort((a, b) => b.path.length - a.path.length);
    return matches.map(({ name, value }) => `${name}=${value}`).join('; ');
  }
}

const jar = new Jar();

/** Fetches a page, following redirects; returns { url, status, html }. */
async function open(href, { method = 'GET', form } = {}) {
  let url = new URL(href);
  let body = form ? new URLSearchParams(form).toString() : undefined;
  for (let hop = 0; hop < 20; hop += 1) {
    const headers = { 'user-agent': 'kanban-test-browser' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method, headers, body, redirect: 'manual' });
    jar.store(url, response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      if (response.status !== 307 && response.status !== 308) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    return { url, status: response.status, html: await response.text() };
  }
  throw new Error(`too many redirects from ${href}`);
}

// ---------------------------------------------------------------- HTML

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decode(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, ref) => {
    if (ref[0] === '#') {
      const code = ref[1].toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function attributes(source) {
  const attrs = {};
  for (const [, name, , dq, sq, bare] of source.matchAll(/([^\s=/>]+)(\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    attrs[name.toLowerCase()] = decode(dq ?? sq ?? bare ?? '');
  }
  return attrs;
}

/** The page's forms, with the inputs and buttons belonging to each (also by form="id"). */
function forms(html, base) {
  const found = [];
  let open = null;
  const tag = /<(\/?)(form|input|button|textarea|select)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
  for (const [, closing, name, attrSource] of html.matchAll(tag)) {
    const kind = name.toLowerCase();
    if (kind === 'form') {
      if (closing) { open = null; continue; }
      const attrs = attributes(attrSource);
      open = {
        id: attrs.id,
        action: new URL(attrs.action || base.href, base).href,
        method: (attrs.method || 'GET').toUpperCase(),
        fields: [],
        buttons: [],
      };
      found.push(open);
      continue;
    }
    if (closing) continue;
    const attrs = attributes(attrSource);
    const owner = attrs.form ? found.find((f) => f.id === attrs.form) : open;
    if (!owner) continue;
    const type = (attrs.type || (kind === 'button' ? 'submit' : 'text')).toLowerCase();
    if (type === 'submit' || type === 'image') owner.buttons.push(attrs);
    else if (attrs.name) owner.fields.push({ ...attrs, type });
  }
  return found;
}

function pageText(html) {
  return decode(html
    .replace(/<(style|script|title)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

// ---------------------------------------------------------------- the person

function fail(why, page) {
  console.error(`browser: ${why}`);
  if (page) console.error(`at ${page.url} (HTTP ${page.status}): ${pageText(page.html)}`);
  process.exit(1);
}

/** Fills a form the way this person would; returns { values, kind }. */
function fill(form) {
  const values = [];
  let kind = 'continue';
  for (const field of form.fields) {
    if (field.type === 'password') {
      values.push([field.name, PASSWORD]);
      kind = 'login';
    } else if (field.type === 'hidden') {
      values.push([field.name, field.value ?? '']);
    } else if (/user_?code/i.test(field.name)) {
      values.push([field.name, userCode]);
      kind = 'user code';
    } else if (/login|user|email/i.test(field.name)) {
      values.push([field.name, login]);
    } else if (field.type === 'checkbox' || field.type === 'radio') {
      if ('checked' in field) values.push([field.name, field.value ?? 'on']);
    } else {
      values.push([field.name, field.value ?? '']);
    }
  }
  const abort = form.buttons.find((b) => /abort|deny|cancel|reject/i.test(`${b.name} ${b.value}`));
  if (abort && kind === 'continue') kind = 'confirm device';
  let button = form.buttons.find((b) => b !== abort);
  if (kind === 'confirm device' && mode === 'deny') {
    button = abort;
    kind = 'abort';
  }
  if (button?.name) values.push([button.name, button.value ?? '']);
  return { values, kind };
}

let page = await open(verificationUri);
let codeEntered = false;
let aborted = false;
for (let step = 0; step < MAX_STEPS; step += 1) {
  if (page.status >= 400) fail('the provider answered with an error', page);
  const text = pageText(page.html);
  const [form] = forms(page.html, page.url);

  if (aborted) {
    if (/interrupted|aborted|denied/i.test(text)) {
      console.log(`denied: ${text}`);
      process.exit(0);
    }
    fail('aborted, but the page does not say so', page);
  }
  if (!form) {
    if (mode === 'confirm' && /success/i.test(text)) {
      console.log(`signed in: ${text}`);
      process.exit(0);
    }
    fail('a page with no form and no success', page);
  }

  const { values, kind } = fill(form);
  if (kind === 'user code') {
    if (codeEntered) fail('the user code was asked for again', page);
    codeEntered = true;
  }
  if (kind === 'abort') aborted = true;
  console.error(`browser: ${kind} form -> ${form.method} ${form.action}`);
  page = form.method === 'POST'
    ? await open(form.action, { method: 'POST', form: values })
    : await open(`${form.action.split('?')[0]}?${new URLSearchParams(values)}`);
}
fail(`no end after ${MAX_STEPS} pages`, page);
