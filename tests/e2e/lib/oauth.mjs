// Helpers for the OAuth end-to-end tests (see /work/notes/oauth-contract.md):
//   - authGateConfig()/startAuthGate(): a real mcpgate with the `auth:` section turned on
//   - UserAgent + driveAuthorization(): a headless browser stand-in (cookie jar, manual
//     redirects, HTML form parsing) that logs in and approves or denies consent through the
//     gate's real login and consent pages
//   - startDocServer(): a loopback HTTPS (or HTTP) server for Client ID Metadata Documents,
//     with a throw-away self-signed certificate the gate is told to trust (SSL_CERT_FILE)
//   - HeadlessOAuthProvider: an MCP SDK OAuthClientProvider that completes the flow headlessly
//   - small raw-HTTP helpers for /token, /register, the MCP endpoint, JWT decoding
//   - a registry of every secret a test saw (tokens, codes, client secrets, cookies, CSRF
//     tokens, passwords) so the log-leak test (ATTACKS row 78) can grep for all of them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import * as oauth from 'oauth4webapi';

import { startServer, request, MCP_HEADERS, rpcMessages } from './mcpgate.mjs';

export const insecure = { [oauth.allowInsecureRequests]: true };

// ---------------------------------------------------------------------------------------------
// Demo users, scopes and tools (the contract's example configuration).

export const USERS = {
  alice: 'alice-e2e-Pa55-word',
  bob: 'bob-e2e-Pa55-word',
};

export const SCOPE_TOOLS = {
  'calendar:read': ['list_events', 'get_availability'],
  'calendar:write': ['create_event', 'delete_event'],
  'mail:read': ['search_messages', 'read_message'],
  'mail:write': ['send_message', 'delete_message'],
};
export const SCOPE_IMPLIES = {
  'calendar:write': ['calendar:read'],
  'mail:write': ['mail:read'],
};
export const ALL_SCOPES = Object.keys(SCOPE_TOOLS);
export const DEMO_TOOLS = Object.values(SCOPE_TOOLS).flat();

// Scopes a scope string grants once the hierarchy is applied.
export function effectiveScopes(scope) {
  const out = new Set();
  for (const s of String(scope ?? '').split(' ').filter(Boolean)) {
    out.add(s);
    for (const implied of SCOPE_IMPLIES[s] ?? []) out.add(implied);
  }
  return out;
}

// The demo tools a token with `scope` may call (and so must see in tools/list).
export function toolsForScope(scope) {
  const eff = effectiveScopes(scope);
  return Object.entries(SCOPE_TOOLS)
    .filter(([s]) => eff.has(s))
    .flatMap(([, tools]) => tools)
    .sort();
}

// ---------------------------------------------------------------------------------------------
// Secrets seen during a test run (row 78: none may appear in the server's log output).

export const seenSecrets = new Map(); // value -> label

export function noteSecret(label, value) {
  if (typeof value !== 'string' || value.length < 8) return;
  if (!seenSecrets.has(value)) seenSecrets.set(value, label);
  // A JWT's signature alone is what makes it usable; look for it separately as well.
  const parts = value.split('.');
  if (parts.length === 3 && parts[2].length >= 32 && !seenSecrets.has(parts[2])) {
    seenSecrets.set(parts[2], `${label} (signature part)`);
  }
}

export function noteTokenResponse(label, json) {
  if (!json || typeof json !== 'object') return;
  noteSecret(`${label} access_token`, json.access_token);
  noteSecret(`${label} refresh_token`, json.refresh_token);
  noteSecret(`${label} id_token`, json.id_token);
}

for (const [user, pw] of Object.entries(USERS)) noteSecret(`password of ${user}`, pw);

// Every secret value that occurs in `text`, as [{label, value}].
export function secretsIn(text) {
  const hits = [];
  for (const [value, label] of seenSecrets) {
    if (text.includes(value)) hits.push({ label, value: `${value.slice(0, 6)}…(${value.length} chars)` });
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Gate configuration.

const yamlStr = (s) => JSON.stringify(String(s)); // JSON strings are valid YAML scalars

export const OPS_CLIENT = {
  client_id: 'ops-dashboard',
  // Characters that must be form-urlencoded in HTTP Basic (RFC 6749 §2.3.1): ':' '%' '&' '+' '/'
  client_secret: 'ops:Secret%e2e&+/=_0123456789abcdef',
  redirect_uri: 'https://ops.example.com/cb',
};
export const STATIC_PUBLIC_CLIENT = {
  client_id: 'e2e-public',
  // Loopback redirects registered without a port (ATTACKS row 3).
  redirect_uris: ['http://127.0.0.1/cb', 'http://[::1]/cb', 'http://localhost/cb'],
};
noteSecret('ops-dashboard client_secret', OPS_CLIENT.client_secret);

// YAML for a gate on 127.0.0.1:`port` with authentication on. Options:
//   issuerPath        appended to the issuer (RFC 8414 path insertion tests)
//   resources         auth.resources (default: omitted → the contract's default)
//   ttl               {access, refresh, idle, code, login} in seconds
//   dcrPerMinute      auth.dcr.registrations_per_minute (default 1000 so tests are not throttled)
//   extraClients      more YAML list entries for auth.clients (strings)
//   cimdLoopback      auth.cimd.allow_loopback_for_tests (default true: the CIMD tests serve
//                     documents from https://127.0.0.1)
//   logLevel          logging.level (default debug: the leak test wants every line there is)
//   users             [{username, password, org?}] instead of USERS
//   organizations     YAML lines of the top-level organizations: list (strings)
export function authGateConfig(port, opts = {}) {
  const base = `http://127.0.0.1:${port}`;
  const issuer = base + (opts.issuerPath ?? '');
  const ttl = opts.ttl ?? {};
  const lines = [];
  lines.push(
    'server:',
    `  listen: 127.0.0.1:${port}`,
    `  public_url: ${base}`,
    'mcp:',
    '  path: /mcp',
    '  server_name: mcpgate-e2e-oauth',
    '  tool_sets: [demo]',
    'logging:',
    `  level: ${opts.logLevel ?? 'debug'}`,
    '  access_log: true',
    'auth:',
    '  enabled: true',
    `  issuer: ${issuer}`,
  );
  if (opts.resources) {
    lines.push('  resources:');
    for (const r of opts.resources(base)) lines.push(`    - ${r}`);
  }
  if (ttl.access !== undefined) lines.push(`  access_token_ttl_s: ${ttl.access}`);
  if (ttl.refresh !== undefined) lines.push(`  refresh_token_ttl_s: ${ttl.refresh}`);
  if (ttl.idle !== undefined) lines.push(`  refresh_idle_ttl_s: ${ttl.idle}`);
  if (ttl.code !== undefined) lines.push(`  code_ttl_s: ${ttl.code}`);
  if (ttl.login !== undefined) lines.push(`  login_session_ttl_s: ${ttl.login}`);
  lines.push(
    '  cimd:',
    '    enabled: true',
    `    allow_loopback_for_tests: ${opts.cimdLoopback ?? true}`,
    '  dcr:',
    '    enabled: true',
    `    registrations_per_minute: ${opts.dcrPerMinute ?? 1000}`,
    '  users:',
    ...(opts.users ?? Object.entries(USERS).map(([username, password]) => ({ username, password })))
      .map((u) => `    - {username: ${u.username}, password: ${yamlStr(u.password)}` +
        `${u.org ? `, org: ${u.org}` : ''}}`),
    '  clients:',
    `    - client_id: ${OPS_CLIENT.client_id}`,
    `      client_secret: ${yamlStr(OPS_CLIENT.client_secret)}`,
    `      redirect_uris: [${OPS_CLIENT.redirect_uri}]`,
    '      token_endpoint_auth_method: client_secret_basic',
    `    - client_id: ${STATIC_PUBLIC_CLIENT.client_id}`,
    `      redirect_uris: [${STATIC_PUBLIC_CLIENT.redirect_uris.map(yamlStr).join(', ')}]`,
    '      token_endpoint_auth_method: none',
    ...(opts.extraClients ?? []),
    '  scopes:',
    ...Object.entries(SCOPE_TOOLS).map(([s, t]) => `    ${s}: [${t.join(', ')}]`),
    '  scope_implies:',
    ...Object.entries(SCOPE_IMPLIES).map(([s, t]) => `    ${s}: [${t.join(', ')}]`),
  );
  if (opts.organizations) lines.push('organizations:', ...opts.organizations);
  if (opts.extra) lines.push(...opts.extra); // more top-level sections, as YAML lines
  return lines.join('\n') + '\n';
}

// Starts a gate with authGateConfig(port, opts). `env` goes to the process (SSL_CERT_FILE for
// the CIMD document server's certificate). The returned object adds URLs to startServer's.
export async function startAuthGate(opts = {}, { env = {} } = {}) {
  const srv = await startServer((port) => authGateConfig(port, opts), { env });
  const base = `http://127.0.0.1:${srv.port}`;
  return Object.assign(srv, {
    base,
    issuer: base + (opts.issuerPath ?? ''),
    resource: `${base}/mcp`,
    prmUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
    asMetadataUrl: `${base}/.well-known/oauth-authorization-server${opts.issuerPath ?? ''}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Self-signed certificate for 127.0.0.1 / ::1 / localhost (openssl CLI; valid for one day).

let certCache;
export function loopbackCert() {
  if (certCache) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'mcpgate-e2e-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=mcpgate-e2e-loopback',
    '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-addext', 'basicConstraints=critical,CA:TRUE',
  ], { stdio: 'ignore' });
  certCache = { dir, keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
  return certCache;
}

// ---------------------------------------------------------------------------------------------
// Client ID Metadata Document server on loopback.
//
//   const docs = await startDocServer();            // https://127.0.0.1:PORT
//   const id = docs.url('/clients/a.json');
//   docs.set('/clients/a.json', cimdDocument(id, {...}));          // JSON, 200
//   docs.set('/x', (req, res) => { res.writeHead(500); res.end(); }); // custom handler
//   docs.hits('/clients/a.json')                    // requests seen for that path
export async function startDocServer({ tls = true } = {}) {
  const routes = new Map();
  const hits = new Map();
  const log = [];
  const handler = (req, res) => {
    const path = req.url.split('?')[0];
    hits.set(req.url, (hits.get(req.url) ?? 0) + 1);
    log.push({ url: req.url, headers: req.headers, at: Date.now() });
    const route = routes.get(req.url) ?? routes.get(path);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (typeof route === 'function') {
      route(req, res);
      return;
    }
    const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
    res.writeHead(route.status ?? 200, {
      'content-type': route.contentType ?? 'application/json',
      ...(route.headers ?? {}),
    });
    res.end(body);
  };
  const sockets = new Set();
  const server = tls
    ? https.createServer({ key: loopbackCert().key, cert: loopbackCert().cert }, handler)
    : http.createServer(handler);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    origin,
    port,
    log,
    certFile: tls ? loopbackCert().certFile : undefined,
    url: (path) => origin + path,
    set(path, route) {
      routes.set(path, typeof route === 'function' || route?.body !== undefined ? route : { body: route });
    },
    hits: (path) => hits.get(path) ?? 0,
    totalHits: () => [...hits.values()].reduce((a, b) => a + b, 0),
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

export function cimdDocument(clientId, overrides = {}) {
  return {
    client_id: clientId,
    client_name: 'E2E CIMD Client',
    client_uri: new URL(clientId).origin,
    redirect_uris: ['http://127.0.0.1:53682/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Headless user agent: cookie jar, manual redirects, form posts like a browser would send them.

export class UserAgent {
  constructor() {
    this.jar = new Map();
    this.exchanges = []; // {method, url, status, location, headers}
    this.setCookies = []; // raw Set-Cookie header values, in order
  }

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.jar.size && !headers.has('cookie')) headers.set('cookie', this.cookieHeader());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      this.setCookies.push(c);
      const [kv, ...attrs] = c.split(';');
      const i = kv.indexOf('=');
      const name = kv.slice(0, i).trim();
      const value = kv.slice(i + 1).trim();
      const maxAge = attrs.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      const expires = attrs.map((a) => a.trim()).find((a) => /^expires=/i.test(a));
      const gone = value === '' || (maxAge && Number(maxAge.split('=')[1]) <= 0) ||
        (expires && Date.parse(expires.slice(8)) < Date.now());
      if (gone) this.jar.delete(name);
      else {
        this.jar.set(name, value);
        noteSecret(`cookie ${name}`, value);
      }
    }
    this.exchanges.push({
      method: init.method ?? 'GET',
      url: String(url),
      status: res.status,
      location: res.headers.get('location'),
    });
    return res;
  }

  // Submits `form` (from parseForms) with `values` overriding or adding fields.
  async submit(form, values = {}, { origin } = {}) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...form.fields, ...values })) {
      if (v !== undefined && v !== null) body.set(k, v);
    }
    for (const [k, v] of Object.entries(form.fields)) {
      if (k === 'csrf') noteSecret('csrf token', v);
    }
    return this.fetch(form.action, {
      method: (form.method || 'GET').toUpperCase(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(origin ? { origin } : {}),
      },
      body: body.toString(),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal HTML form parsing (the gate's pages are server-rendered, no script).

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'", '#47': '/', '#x2F': '/' };
export function decodeEntities(s) {
  return String(s).replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (ENTITIES[e] !== undefined) return ENTITIES[e];
    if (/^#x/i.test(e)) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (/^#\d/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return m;
  });
}

function parseAttrs(text) {
  const attrs = {};
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  let m;
  while ((m = re.exec(text))) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

// [{action: URL, method, attrs, fields: {name: value} (inputs with a name, except buttons and
//   unchecked boxes), inputs: [attrs], buttons: [{name, value, text}]}]
export function parseForms(html, baseUrl) {
  const forms = [];
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi;
  let m;
  while ((m = formRe.exec(html))) {
    const attrs = parseAttrs(m[1]);
    const inner = m[2];
    const inputs = [];
    const fields = {};
    for (const im of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const a = parseAttrs(im[1]);
      inputs.push(a);
      const type = (a.type ?? 'text').toLowerCase();
      if (!a.name || type === 'submit' || type === 'button' || type === 'image') continue;
      if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      fields[a.name] = a.value ?? '';
    }
    const buttons = [];
    for (const bm of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button\s*>/gi)) {
      const a = parseAttrs(bm[1]);
      buttons.push({ name: a.name, value: a.value ?? '', type: a.type, text: bm[2].replace(/<[^>]*>/g, '').trim() });
    }
    for (const a of inputs) {
      if ((a.type ?? '').toLowerCase() === 'submit') buttons.push({ name: a.name, value: a.value ?? '', type: 'submit', text: a.value ?? '' });
    }
    forms.push({
      attrs,
      action: new URL(attrs.action ?? '', baseUrl),
      method: (attrs.method ?? 'GET').toUpperCase(),
      inputs,
      fields,
      buttons,
    });
  }
  return forms;
}

export function findLoginForm(forms) {
  return forms.find((f) => f.inputs.some((i) => i.name === 'password'));
}
export function findConsentForm(forms) {
  return forms.find((f) => f.buttons.some((b) => b.name === 'decision'));
}

// Visible text of a page (tags stripped, entities decoded, whitespace collapsed).
export function pageText(html) {
  return decodeEntities(
    html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' '),
  ).replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Drives an authorization request through the gate's pages.
//
// Starting at `url` (the /authorize URL), follows redirects inside the gate's origin, logs in
// with `username`/`password` when a login form appears and answers the consent form with
// `decision`. Stops at the first redirect that leaves the gate's origin (the client's
// redirect_uri) or at a page it cannot handle. Returns
//   { callback: URL | undefined,   // where the gate sent the user agent, if it left the gate
//     final: {status, headers, html, url} | undefined,   // the page it stopped on otherwise
//     pages: [{kind: 'login'|'consent'|'other', url, status, headers, html}],
//     posts: [{url, status, location}] }
export async function driveAuthorization(url, {
  ua = new UserAgent(),
  username = 'alice',
  password = USERS[username],
  decision = 'approve',
  maxHops = 20,
  onPage,
} = {}) {
  const start = new URL(url);
  const gateOrigin = start.origin;
  const pages = [];
  const posts = [];
  let current = start;
  let res = await ua.fetch(current);
  for (let hop = 0; hop < maxHops; hop++) {
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer().catch(() => {});
      const next = new URL(location, current);
      if (next.origin !== gateOrigin) return { callback: next, pages, posts, ua };
      current = next;
      res = await ua.fetch(current);
      continue;
    }
    const html = await res.text();
    const headers = Object.fromEntries(res.headers);
    const forms = res.status === 200 ? parseForms(html, current) : [];
    const login = findLoginForm(forms);
    const consent = login ? undefined : findConsentForm(forms);
    const kind = login ? 'login' : consent ? 'consent' : 'other';
    const page = { kind, url: String(current), status: res.status, headers, html, forms };
    pages.push(page);
    if (onPage) await onPage(page);
    if (kind === 'login') {
      res = await ua.submit(login, { username, password }, { origin: gateOrigin });
    } else if (kind === 'consent') {
      if (decision === null) return { final: page, pages, posts, ua };
      res = await ua.submit(consent, { decision }, { origin: gateOrigin });
    } else {
      return { final: page, pages, posts, ua };
    }
    posts.push({ url: String(current), status: res.status, location: res.headers.get('location') });
  }
  throw new Error(`authorization did not finish within ${maxHops} hops (last: ${current})`);
}

// ---------------------------------------------------------------------------------------------
// PKCE, authorization URLs, codes and tokens.

export async function pkce() {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

// An /authorize URL. `params` may hold arrays for repeated parameters and `undefined` to omit.
export function authorizeUrl(gate, params) {
  const u = new URL('/authorize', gate.base);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) u.searchParams.append(k, one);
  }
  return u;
}

// Runs authorization for `client_id`/`redirect_uri` with a fresh PKCE pair and state. Returns
// {callback, code, state, verifier, challenge, result} (code undefined when the gate did not
// redirect with one).
export async function obtainCode(gate, {
  client_id, redirect_uri, scope = ALL_SCOPES.join(' '), resource = gate.resource,
  username = 'alice', password, decision = 'approve', ua, extra = {},
} = {}) {
  const { verifier, challenge } = await pkce();
  const state = oauth.generateRandomState();
  const url = authorizeUrl(gate, {
    response_type: 'code', client_id, redirect_uri, scope, state,
    code_challenge: challenge, code_challenge_method: 'S256', resource, ...extra,
  });
  const result = await driveAuthorization(url, { ua, username, decision, ...(password ? { password } : {}) });
  const code = result.callback?.searchParams.get('code') ?? undefined;
  noteSecret('authorization code', code);
  return { callback: result.callback, code, state, verifier, challenge, result, url };
}

export function basicAuth(id, secret) {
  // RFC 6749 §2.3.1: form-urlencode both halves before joining them.
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

// POST a form to an AS endpoint. Returns {status, headers (lower-case object), json, body}.
export async function postForm(gate, path, form, { headers = {} } = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  }
  const res = await fetch(new URL(path, gate.base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: body.toString(),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: Object.fromEntries(res.headers), json, body: text };
}

export async function tokenRequest(gate, form, opts) {
  const r = await postForm(gate, '/token', form, opts);
  noteTokenResponse('token endpoint', r.json);
  return r;
}

// Code → tokens for a public client (auth method none) or with `auth` headers.
export async function exchangeCode(gate, got, { client_id, redirect_uri, resource = gate.resource, headers } = {}) {
  return tokenRequest(gate, {
    grant_type: 'authorization_code', code: got.code, redirect_uri,
    code_verifier: got.verifier, resource,
    ...(headers?.authorization ? {} : { client_id }),
  }, { headers });
}

export async function refresh(gate, refresh_token, { client_id, resource = gate.resource, headers } = {}) {
  return tokenRequest(gate, {
    grant_type: 'refresh_token', refresh_token, resource,
    ...(headers?.authorization ? {} : { client_id }),
  }, { headers });
}

// Full flow for a client: authorize (login + consent) then exchange. Returns the token JSON
// (throws with the observed response when any step fails).
export async function getTokens(gate, opts) {
  const got = await obtainCode(gate, opts);
  if (!got.code) {
    const where = got.callback ? `redirect ${got.callback}` : `page ${got.result.final?.status} ${pageText(got.result.final?.html ?? '').slice(0, 300)}`;
    throw new Error(`no authorization code: ${where}`);
  }
  const r = await exchangeCode(gate, got, opts);
  if (r.status !== 200) throw new Error(`token exchange failed: ${r.status} ${r.body}`);
  return { ...r.json, _got: got };
}

// RFC 7591 registration. Returns {status, headers, json, body}.
export async function register(gate, metadata, { headers = {}, rawBody } = {}) {
  const res = await fetch(new URL('/register', gate.base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: rawBody ?? JSON.stringify(metadata),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (json) {
    noteSecret('DCR client_secret', json.client_secret);
    noteSecret('DCR registration_access_token', json.registration_access_token);
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), json, body: text };
}

// POSTs a large body on its own connection and reports the status even when the server
// answers early and closes while the body is still being sent: {status} or {status: 0, error}.
export function oversizedPost(gate, path, headers, body) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    const req = http.request({ host: '127.0.0.1', port: gate.port, method: 'POST', path, headers, agent: false }, (res) => {
      res.resume();
      finish({ status: res.statusCode, headers: res.headers });
    });
    req.on('error', (e) => setTimeout(() => finish({ status: 0, error: e.code ?? e.message }), 200));
    req.end(body);
  });
}

export async function registerPublicClient(gate, redirect_uris, extra = {}) {
  const r = await register(gate, {
    client_name: 'E2E public client', redirect_uris,
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: 'none', application_type: 'native', ...extra,
  });
  if (r.status !== 201) throw new Error(`DCR failed: ${r.status} ${r.body}`);
  return r.json;
}

export async function registerConfidentialClient(gate, redirect_uris, method = 'client_secret_basic', extra = {}) {
  const r = await register(gate, {
    client_name: 'E2E confidential client', redirect_uris,
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: method, application_type: 'web', ...extra,
  });
  if (r.status !== 201) throw new Error(`DCR failed: ${r.status} ${r.body}`);
  return r.json;
}

// ---------------------------------------------------------------------------------------------
// JWT and WWW-Authenticate parsing.

export function decodeJwt(token) {
  const [h, p] = token.split('.');
  const dec = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  return { header: dec(h), payload: dec(p) };
}

// Parses `Bearer k="v", k2="v2"` into {scheme, params}. Returns undefined for a missing header.
export function parseChallenge(header) {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*(.*)$/s.exec(header);
  const params = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?\s*/g;
  let pm;
  while ((pm = re.exec(m[2]))) params[pm[1]] = (pm[2] ?? pm[3]).replace(/\\(.)/g, '$1');
  return { scheme: m[1], params };
}

// ---------------------------------------------------------------------------------------------
// MCP endpoint with a bearer token (raw HTTP so tests control every header).

export function bearer(token) {
  return { authorization: `Bearer ${token}` };
}

export async function mcpPost(gate, body, { token, sessionId, headers = {}, path = '/mcp' } = {}) {
  const h = {
    ...MCP_HEADERS,
    ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
    ...(token !== undefined ? bearer(token) : {}),
    ...headers,
  };
  return request(gate.port, { method: 'POST', path, headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

// initialize + notifications/initialized with a token; returns the session id (throws with the
// observed response otherwise).
export async function initSessionWithToken(gate, token) {
  const init = await mcpPost(gate, {
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-oauth', version: '1' } },
  }, { token });
  if (init.status !== 200) throw new Error(`initialize with token failed: ${init.status} ${init.headers['www-authenticate'] ?? ''} ${init.body}`);
  const sid = init.headers['mcp-session-id'];
  const note = await mcpPost(gate, { jsonrpc: '2.0', method: 'notifications/initialized' }, { token, sessionId: sid });
  if (note.status !== 202) throw new Error(`notifications/initialized failed: ${note.status} ${note.body}`);
  return sid;
}

export async function rpc(gate, token, sessionId, method, params = {}, id = 7) {
  const r = await mcpPost(gate, { jsonrpc: '2.0', id, method, params }, { token, sessionId });
  const [msg] = r.status === 200 ? rpcMessages(r) : [];
  return { ...r, msg };
}

// tools/list names for a token (new session each time), or throws with the response.
export async function listToolNames(gate, token) {
  const sid = await initSessionWithToken(gate, token);
  const r = await rpc(gate, token, sid, 'tools/list');
  if (r.status !== 200 || !r.msg?.result) throw new Error(`tools/list failed: ${r.status} ${r.body}`);
  return r.msg.result.tools.map((t) => t.name).sort();
}

// Polls `probe` (async → boolean) until true or `ms` elapsed; returns elapsed ms or -1.
export async function within(ms, probe, every = 50) {
  const start = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - start;
    if (Date.now() - start > ms) return -1;
    await new Promise((r) => setTimeout(r, every));
  }
}

// ---------------------------------------------------------------------------------------------
// MCP TypeScript SDK OAuthClientProvider that completes authorization headlessly through the
// gate's real login and consent pages.
//
// The SDK calls redirectToAuthorization(url); this provider drives the pages with a UserAgent,
// checks the callback (state echoed, `iss` equal to the expected issuer, a code present) and
// keeps the code for transport.finishAuth(provider.code).
export class HeadlessOAuthProvider {
  constructor({
    redirectUrl,
    clientMetadataUrl,
    clientName = 'E2E SDK client',
    username = 'alice',
    password,
    decision = 'approve',
    expectedIssuer,
    ua = new UserAgent(),
  }) {
    this._redirectUrl = redirectUrl;
    this._clientMetadataUrl = clientMetadataUrl;
    this._clientName = clientName;
    this.username = username;
    this.password = password ?? USERS[username];
    this.decision = decision;
    this.expectedIssuer = expectedIssuer;
    this.ua = ua;
    this.authorizationUrls = [];
    this.callbacks = [];
    this.savedClients = [];
    this.savedTokens = [];
    this.code = undefined;
  }

  get redirectUrl() { return this._redirectUrl; }
  get clientMetadataUrl() { return this._clientMetadataUrl; }
  get clientMetadata() {
    return {
      client_name: this._clientName,
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    };
  }

  state() {
    this._state = oauth.generateRandomState();
    return this._state;
  }

  clientInformation() { return this._client; }
  saveClientInformation(info) {
    this._client = info;
    this.savedClients.push(info);
  }

  tokens() { return this._tokens; }
  saveTokens(tokens) {
    noteTokenResponse('SDK', tokens);
    this._tokens = tokens;
    this.savedTokens.push(tokens);
  }

  saveCodeVerifier(v) { this._verifier = v; }
  codeVerifier() {
    if (!this._verifier) throw new Error('no code verifier saved');
    return this._verifier;
  }

  async redirectToAuthorization(url) {
    this.authorizationUrls.push(new URL(url));
    const result = await driveAuthorization(url, {
      ua: this.ua, username: this.username, password: this.password, decision: this.decision,
    });
    if (!result.callback) {
      const f = result.final;
      throw new Error(`authorization stopped on a page (HTTP ${f?.status}): ${pageText(f?.html ?? '').slice(0, 400)}`);
    }
    this.callbacks.push(result.callback);
    this.lastResult = result;
    const cb = result.callback;
    const expected = new URL(this._redirectUrl);
    if (cb.origin + cb.pathname !== expected.origin + expected.pathname) {
      throw new Error(`redirected to ${cb.origin}${cb.pathname}, expected ${expected.origin}${expected.pathname}`);
    }
    if (cb.searchParams.get('error')) {
      throw new Error(`authorization error: ${cb.searchParams.get('error')} ${cb.searchParams.get('error_description') ?? ''}`);
    }
    if (cb.searchParams.getAll('state').length !== 1 || cb.searchParams.get('state') !== this._state) {
      throw new Error(`state mismatch: sent ${this._state}, got ${cb.searchParams.getAll('state')}`);
    }
    if (this.expectedIssuer !== undefined && cb.searchParams.get('iss') !== this.expectedIssuer) {
      throw new Error(`iss mismatch: expected ${this.expectedIssuer}, got ${cb.searchParams.get('iss')}`);
    }
    this.code = cb.searchParams.get('code');
    if (!this.code) throw new Error(`no code in ${cb}`);
    noteSecret('authorization code (SDK)', this.code);
  }
}

// Debian's Chromium for the suites that drive pages (scripts/install-deps installs it), and the
// flags every such suite launches it with (headless, no sandbox, no background traffic).
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// An access token for the gate at `base` (listening on `port`) for `username`, through the
// static public test client: the token the connector suites' MCP clients present.
export async function mcpAccessToken(base, port, username) {
  const t = await getTokens({ base, port, resource: `${base}/mcp` }, {
    client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: 'http://127.0.0.1/cb',
    scope: 'calendar:read', username, resource: `${base}/mcp`,
  });
  return t.access_token;
}
