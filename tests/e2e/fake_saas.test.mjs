// The fake SaaS provider (tests/e2e/fixtures/fake_saas.mjs) on its own, before any gate relies on
// it: the code + PKCE flow (and one consent click-through in Chromium), refresh-token rotation
// and reuse detection, revocation, the per-user API with Idempotency-Key, every fault the
// control API can inject, the counters, and hostile input that must not bring it down.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { startFakeSaas, pkce, consentInBrowser, DIRECT_REDIRECT_URI } from './lib/fake_saas.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

let saas;
let cb;           // the browser test's redirect target
let cbUrl;
let browser;      // resolves to { context, profileDir } or an Error

// Chromium takes seconds to start on a busy machine; it starts with the file and the fetch-only
// tests run meanwhile.
function launchBrowser() {
  if (!existsSync(CHROMIUM)) return Promise.resolve(new Error(`${CHROMIUM} not found; install Debian's chromium (scripts/install-deps)`));
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-fakesaas-chromium-'));
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS })
    .then((context) => ({ context, profileDir }), (e) => {
      rmSync(profileDir, { recursive: true, force: true });
      return e;
    });
}

before(async () => {
  browser = launchBrowser();
  cb = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>callback</title><h1>client callback</h1>');
  });
  await new Promise((r) => cb.listen(0, '127.0.0.1', r));
  cbUrl = `http://127.0.0.1:${cb.address().port}/callback`;
  saas = await startFakeSaas({ redirectUris: [cbUrl] });
});

after(async () => {
  const b = await browser;
  if (b && !(b instanceof Error)) {
    await b.context.close().catch(() => {});
    rmSync(b.profileDir, { recursive: true, force: true });
  }
  await saas?.stop();
  await new Promise((r) => (cb ? cb.close(() => r()) : r()));
});

// Every test starts from the startup state: no tokens, no items, no faults, zero counters.
beforeEach(async () => {
  await saas.reset();
});

// A raw HTTP exchange on a fresh socket, for bytes fetch refuses to send; everything the server
// wrote until it closed the connection (or until `ms` passed).
function rawRequest(bytes, ms = 2000) {
  return new Promise((resolve) => {
    const s = net.connect(saas.port, '127.0.0.1');
    let out = '';
    const done = () => { clearTimeout(timer); s.destroy(); resolve(out); };
    const timer = setTimeout(done, ms);
    s.on('data', (d) => { out += d; });
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
  });
}

describe('authorization endpoint', () => {
  test('metadata describes the endpoints, S256 and iss support', async () => {
    const res = await fetch(`${saas.issuer}/.well-known/oauth-authorization-server`);
    const m = await res.json();
    assert.equal(m.issuer, saas.issuer);
    assert.equal(m.authorization_endpoint, saas.authorizationEndpoint);
    assert.equal(m.token_endpoint, saas.tokenEndpoint);
    assert.equal(m.revocation_endpoint, saas.revocationEndpoint);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(m.token_endpoint_auth_methods_supported, ['client_secret_basic']);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
  });

  test('unknown client or unregistered redirect URI: an error page, never a redirect', async () => {
    const { challenge } = pkce();
    const bad = [
      saas.authorizeUrl({ challenge, state: 's' }).replace('client_id=fake-client', 'client_id=other'),
      saas.authorizeUrl({ challenge, state: 's', redirectUri: `${cbUrl}/x` }),
      saas.authorizeUrl({ challenge, state: 's', redirectUri: cbUrl.replace('/callback', '/Callback') }),
    ];
    for (const url of bad) {
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 400, url);
      assert.match(await res.text(), /id="error"/);
    }
  });

  test('protocol errors go back to the client with state and iss', async () => {
    const { challenge } = pkce();
    const cases = [
      [saas.authorizeUrl({ state: 'st1' }), 'invalid_request'],                                     // no PKCE
      [saas.authorizeUrl({ state: 'st1', challenge, extra: { code_challenge_method: 'plain' } }), 'invalid_request'],
      [saas.authorizeUrl({ state: 'st1', challenge, extra: { response_type: 'token' } }), 'unsupported_response_type'],
      [saas.authorizeUrl({ state: 'st1', challenge, scope: 'items:read admin' }), 'invalid_scope'],
      [saas.authorizeUrl({ state: 'st1', challenge, resource: 'not a uri' }), 'invalid_target'],
      [`${saas.authorizeUrl({ state: 'st1', challenge })}&scope=a&scope=b`, 'invalid_request'],
    ];
    for (const [url, error] of cases) {
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 302, url);
      const back = new URL(res.headers.get('location'));
      assert.equal(back.origin + back.pathname, DIRECT_REDIRECT_URI);
      assert.equal(back.searchParams.get('error'), error, url);
      assert.equal(back.searchParams.get('state'), 'st1');
      assert.equal(back.searchParams.get('iss'), saas.issuer);
      assert.equal(back.searchParams.get('code'), null);
    }
  });

  test('deny answers access_denied; a consent form is single-use', async () => {
    const { challenge } = pkce();
    const url = saas.authorizeUrl({ challenge, state: 'd1' });
    const page = await (await fetch(url)).text();
    const id = /name="request_id" value="([^"]+)"/.exec(page)[1];
    const post = (decision) => fetch(saas.authorizationEndpoint, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ request_id: id, user: 'alice', decision }),
    });
    const res = await post('deny');
    const back = new URL(res.headers.get('location'));
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'd1');
    assert.equal((await post('allow')).status, 400);
    const st = await saas.stats();
    assert.equal(st.authorize.denied, 1);
    assert.equal(st.authorize.approved, 0);
  });
});

describe('code + PKCE flow', () => {
  test('code, state, iss; tokens bound to the user and the resource; code single-use', async () => {
    const { verifier, challenge } = pkce();
    const back = await saas.consent(saas.authorizeUrl({
      challenge, state: 'xyz', scope: 'items:read profile', resource: 'https://api.fake.test/', loginHint: 'bob',
    }), { user: 'bob' });
    assert.ok(back instanceof URL, JSON.stringify(back));
    assert.equal(back.searchParams.get('state'), 'xyz');
    assert.equal(back.searchParams.get('iss'), saas.issuer);
    const code = back.searchParams.get('code');
    assert.match(code, /^fsac_/);

    const wrongVerifier = await saas.tokenRequest({
      grant_type: 'authorization_code', code, redirect_uri: DIRECT_REDIRECT_URI, code_verifier: pkce().verifier,
    });
    assert.equal(wrongVerifier.status, 400);
    assert.equal(wrongVerifier.body.error, 'invalid_grant');
    // A failed attempt burns the code (no guessing the verifier against one code).
    const after = await saas.tokenRequest({
      grant_type: 'authorization_code', code, redirect_uri: DIRECT_REDIRECT_URI, code_verifier: verifier,
    });
    assert.equal(after.body.error, 'invalid_grant');

    // A fresh code, redeemed properly, then replayed.
    const p2 = pkce();
    const back2 = await saas.consent(saas.authorizeUrl({
      challenge: p2.challenge, state: 's2', scope: 'items:read profile', resource: 'https://api.fake.test/',
    }), { user: 'bob' });
    const code2 = back2.searchParams.get('code');
    const badRedirect = await saas.tokenRequest({
      grant_type: 'authorization_code', code: code2, redirect_uri: cbUrl, code_verifier: p2.verifier,
    });
    assert.equal(badRedirect.body.error, 'invalid_grant');
    const p3 = pkce();
    const code3 = (await saas.consent(saas.authorizeUrl({
      challenge: p3.challenge, state: 's3', scope: 'items:read profile', resource: 'https://api.fake.test/',
    }), { user: 'bob' })).searchParams.get('code');
    const ok = await saas.tokenRequest({
      grant_type: 'authorization_code', code: code3, redirect_uri: DIRECT_REDIRECT_URI, code_verifier: p3.verifier,
      resource: 'https://api.fake.test/',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.body.expires_in, 3600);
    assert.equal(ok.body.scope, 'items:read profile');
    assert.match(ok.body.access_token, /^fsat_/);
    assert.match(ok.body.refresh_token, /^fsrt_/);
    const me = await saas.api(ok.body.access_token, 'GET', '/api/me');
    assert.equal(me.body.login, 'bob');

    const replay = await saas.tokenRequest({
      grant_type: 'authorization_code', code: code3, redirect_uri: DIRECT_REDIRECT_URI, code_verifier: p3.verifier,
    });
    assert.equal(replay.body.error, 'invalid_grant');
    // The replay revoked what the code had produced.
    assert.equal((await saas.api(ok.body.access_token, 'GET', '/api/me')).status, 401);

    const tokens = await saas.tokens('bob');
    assert.deepEqual(tokens.access[0].resources, ['https://api.fake.test/']);
    const log = await saas.log('/oauth/token');
    assert.deepEqual(log.at(-2).resource, ['https://api.fake.test/']);
    assert.equal(log.at(-2).clientAuth, 'client_secret_basic');
    assert.equal(log.at(-2).status, 200);
  });

  test('client authentication: only the configured method, only the right secret', async () => {
    const grant = { grant_type: 'refresh_token', refresh_token: 'fsrt_nope' };
    const post = await saas.tokenRequest(grant, { auth: 'client_secret_post' });
    assert.equal(post.status, 401);
    assert.equal(post.body.error, 'invalid_client');
    const none = await saas.tokenRequest(grant, { auth: 'none' });
    assert.equal(none.body.error, 'invalid_client');
    const wrong = await fetch(saas.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('fake-client:wrong').toString('base64')}` },
      body: new URLSearchParams(grant),
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate'), /^Basic /);
    // The right client gets past authentication to the grant check.
    assert.equal((await saas.tokenRequest(grant)).body.error, 'invalid_grant');

    // Switched at run time: now basic is the wrong method, and the metadata says so.
    await saas.config({ clientAuth: 'client_secret_post' });
    assert.equal((await saas.tokenRequest(grant, { auth: 'client_secret_basic' })).body.error, 'invalid_client');
    assert.equal((await saas.tokenRequest(grant)).body.error, 'invalid_grant', 'the helper follows the live config');
    const t = await saas.connect('alice');
    assert.equal((await saas.api(t.access_token, 'GET', '/api/me')).status, 200);
    assert.equal((await saas.log('/oauth/token')).at(-1).clientAuth, 'client_secret_post');
    const both = await fetch(saas.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('fake-client:fake-client-secret').toString('base64')}` },
      body: new URLSearchParams({ ...grant, client_id: 'fake-client', client_secret: 'fake-client-secret' }),
    });
    assert.equal((await both.json()).error, 'invalid_request', 'two authentication methods at once');
    const m = await (await fetch(`${saas.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.deepEqual(m.token_endpoint_auth_methods_supported, ['client_secret_post']);
  });

  test('tokens expire on demand, per user; the API answers 401 invalid_token', async () => {
    const a = await saas.connect('alice');
    const b = await saas.connect('bob');
    assert.deepEqual(await saas.expireTokens('alice'), { expired: 1 });
    const res = await saas.api(a.access_token, 'GET', '/api/items');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /^Bearer .*error="invalid_token"/);
    assert.equal((await saas.api(b.access_token, 'GET', '/api/items')).status, 200);
    const missing = await saas.api(null, 'GET', '/api/items');
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate'), /^Bearer realm="fake-saas"$/);
    // Refresh brings alice back.
    const r = await saas.refresh(a.refresh_token);
    assert.equal((await saas.api(r.body.access_token, 'GET', '/api/me')).body.login, 'alice');
    await saas.expireTokens();
    assert.equal((await saas.api(b.access_token, 'GET', '/api/me')).status, 401);
  });

  test('token lifetime from the config', async () => {
    await saas.config({ tokenLifetime: 0.2 });
    const t = await saas.connect('alice');
    assert.equal(t.expires_in, 1);
    assert.equal((await saas.api(t.access_token, 'GET', '/api/me')).status, 200);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await saas.api(t.access_token, 'GET', '/api/me')).status, 401);
  });
});

describe('refresh tokens', () => {
  test('rotation: each refresh a new refresh token; reuse of an old one kills the family', async () => {
    const t0 = await saas.connect('alice');
    const other = await saas.connect('alice'); // a second grant of the same user stays alive
    const r1 = await saas.refresh(t0.refresh_token);
    assert.equal(r1.status, 200);
    assert.notEqual(r1.body.refresh_token, t0.refresh_token);
    const r2 = await saas.refresh(r1.body.refresh_token);
    assert.equal(r2.status, 200);
    assert.equal((await saas.api(r2.body.access_token, 'GET', '/api/me')).status, 200);

    const reuse = await saas.refresh(t0.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    // The whole family is gone: the newest refresh token and every access token of the grant.
    assert.equal((await saas.refresh(r2.body.refresh_token)).body.error, 'invalid_grant');
    assert.equal((await saas.api(r2.body.access_token, 'GET', '/api/me')).status, 401);
    assert.equal((await saas.api(r1.body.access_token, 'GET', '/api/me')).status, 401);
    assert.equal((await saas.api(other.access_token, 'GET', '/api/me')).status, 200);
    assert.equal((await saas.refresh(other.refresh_token)).status, 200);

    const st = await saas.stats();
    assert.equal(st.token.refresh_token, 5);
    assert.equal(st.token.authorization_code, 2);
    assert.equal(st.refreshes.alice, 3);
    assert.equal(st.refreshAttempts.alice, 5);
    assert.equal(st.reuseDetected, 1);
    assert.equal(st.familiesRevoked, 1);
  });

  test('scope can narrow, never widen; resource must be one granted', async () => {
    const t = await saas.connect('alice', { scope: 'items:read profile', resource: 'https://api.fake.test/' });
    const wide = await saas.refresh(t.refresh_token, { scope: 'items:read items:write' });
    assert.equal(wide.body.error, 'invalid_scope');
    const target = await saas.refresh(t.refresh_token, { resource: 'https://elsewhere.test/' });
    assert.equal(target.body.error, 'invalid_target');
    const narrow = await saas.refresh(t.refresh_token, { scope: 'profile', resource: 'https://api.fake.test/' });
    assert.equal(narrow.status, 200);
    assert.equal(narrow.body.scope, 'profile');
    const entry = (await saas.log('/oauth/token')).at(-1);
    assert.equal(entry.grantType, 'refresh_token');
    assert.deepEqual(entry.resource, ['https://api.fake.test/']);
    assert.equal(entry.user, 'alice');
  });

  test('without rotation the refresh answer has no refresh token and the old one keeps working', async () => {
    await saas.config({ rotateRefreshTokens: false });
    const t = await saas.connect('alice');
    const r1 = await saas.refresh(t.refresh_token);
    assert.equal(r1.status, 200);
    assert.equal(r1.body.refresh_token, undefined);
    assert.equal((await saas.refresh(t.refresh_token)).status, 200);
  });

  test('injected invalid_grant: for the named user only, and the grant is dead afterwards', async () => {
    const a = await saas.connect('alice');
    const b = await saas.connect('bob');
    await saas.invalidGrant({ user: 'alice' });
    const rb = await saas.refresh(b.refresh_token);
    assert.equal(rb.status, 200);
    const ra = await saas.refresh(a.refresh_token);
    assert.equal(ra.status, 400);
    assert.equal(ra.body.error, 'invalid_grant');
    assert.equal((await saas.refresh(a.refresh_token)).body.error, 'invalid_grant');
    assert.equal((await saas.api(a.access_token, 'GET', '/api/me')).status, 401);
    assert.deepEqual((await saas.injections()).rules, []);
  });
});

describe('revocation', () => {
  test('an access token alone, or a refresh token with its grant; unknown tokens are fine', async () => {
    const t = await saas.connect('alice');
    const res = await saas.revoke(t.access_token, 'access_token');
    assert.equal(res.status, 200);
    assert.equal((await saas.api(t.access_token, 'GET', '/api/me')).status, 401);
    const r = await saas.refresh(t.refresh_token);
    assert.equal(r.status, 200);
    assert.equal((await saas.revoke(r.body.refresh_token)).status, 200);
    assert.equal((await saas.api(r.body.access_token, 'GET', '/api/me')).status, 401);
    assert.equal((await saas.refresh(r.body.refresh_token)).body.error, 'invalid_grant');
    assert.equal((await saas.revoke('fsrt_never_issued_0000000000000000')).status, 200);
    assert.equal((await saas.revoke(t.access_token, 'bogus')).body.error, 'unsupported_token_type');
    const noAuth = await fetch(saas.revocationEndpoint, { method: 'POST', body: new URLSearchParams({ token: 'x' }) });
    assert.equal(noAuth.status, 401);
    const st = await saas.stats();
    assert.deepEqual(st.revocations, { requests: 5, access_token: 1, refresh_token: 1, unknown: 1 });
  });

  test('control revoke ends every grant of one user', async () => {
    const a = await saas.connect('alice');
    const b = await saas.connect('bob');
    assert.deepEqual(await saas.revokeUser('alice'), { revokedFamilies: 1 });
    assert.equal((await saas.api(a.access_token, 'GET', '/api/me')).status, 401);
    assert.equal((await saas.refresh(a.refresh_token)).body.error, 'invalid_grant');
    assert.equal((await saas.api(b.access_token, 'GET', '/api/me')).status, 200);
  });
});

describe('REST API', () => {
  test('per-user data: bob never sees alice\'s items', async () => {
    const a = (await saas.connect('alice')).access_token;
    const b = (await saas.connect('bob')).access_token;
    const created = await saas.api(a, 'POST', '/api/items', { body: { title: 'secret plan', tags: ['x'] } });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^it_\d+$/);
    assert.equal(created.body.owner, 'usr_alice');
    assert.equal(created.headers.get('location'), `/api/items/${created.body.id}`);
    assert.equal((await saas.api(a, 'GET', `/api/items/${created.body.id}`)).body.title, 'secret plan');
    assert.equal((await saas.api(b, 'GET', `/api/items/${created.body.id}`)).status, 404);
    assert.equal((await saas.api(b, 'DELETE', `/api/items/${created.body.id}`)).status, 404);
    assert.deepEqual((await saas.api(b, 'GET', '/api/items')).body.items, []);
    assert.equal((await saas.api(a, 'GET', '/api/items')).body.total, 1);
    assert.equal((await saas.api(a, 'DELETE', `/api/items/${created.body.id}`)).status, 204);
    assert.equal((await saas.api(a, 'GET', `/api/items/${created.body.id}`)).status, 404);
    const st = await saas.stats();
    assert.deepEqual(st.apiByUser.bob, { [`GET /api/items/${created.body.id}`]: 1, [`DELETE /api/items/${created.body.id}`]: 1,
      'GET /api/items': 1 });
    assert.equal(st.apiRoutes['GET /api/items/{id}'], 3);
    assert.equal(st.deletesExecuted, 1);
  });

  test('list: limit, tag filter, cursor; bad limit is a 400', async () => {
    const a = (await saas.connect('alice')).access_token;
    for (let i = 0; i < 5; i++) {
      await saas.api(a, 'POST', '/api/items', { body: { title: `n${i}`, tags: i % 2 ? ['odd'] : ['even'] } });
    }
    const p1 = await saas.api(a, 'GET', '/api/items?limit=2');
    assert.deepEqual(p1.body.items.map((i) => i.title), ['n0', 'n1']);
    const p2 = await saas.api(a, 'GET', `/api/items?limit=2&cursor=${p1.body.next_cursor}`);
    assert.deepEqual(p2.body.items.map((i) => i.title), ['n2', 'n3']);
    const odd = await saas.api(a, 'GET', '/api/items?tag=odd');
    assert.deepEqual(odd.body.items.map((i) => i.title), ['n1', 'n3']);
    assert.equal(odd.body.next_cursor, null);
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=zz']) {
      assert.equal((await saas.api(a, 'GET', `/api/items?${q}`)).status, 400, q);
    }
    const st = await saas.stats();
    assert.equal(st.api['GET /api/items'], 7);
    assert.equal(st.api['POST /api/items'], 5);
    assert.equal(st.postsExecuted, 5);
  });

  test('Idempotency-Key: same key and payload → one item, the same answer', async () => {
    const a = (await saas.connect('alice')).access_token;
    const b = (await saas.connect('bob')).access_token;
    const send = (tok, title, key) => saas.api(tok, 'POST', '/api/items', { body: { title }, headers: { 'Idempotency-Key': key } });
    const first = await send(a, 'mail', 'k1');
    const again = await send(a, 'mail', 'k1');
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await send(a, 'other mail', 'k1')).status, 422);
    // Keys are per user: bob's k1 is his own.
    const bobs = await send(b, 'mail', 'k1');
    assert.notEqual(bobs.body.id, first.body.id);
    const st = await saas.stats();
    assert.equal(st.postsExecuted, 2);
    assert.deepEqual(st.postsExecutedByUser, { alice: 1, bob: 1 });
    assert.equal(st.idempotentReplays, 1);
    assert.equal(st.idempotencyConflicts, 1);
    assert.equal((await saas.items()).alice.length, 1);
  });

  test('echo shows the exact request, reporting the Authorization header without its value', async () => {
    const a = (await saas.connect('alice')).access_token;
    const res = await saas.api(a, 'PATCH', '/api/echo/things/42?q=hello%20world&n=1&n=2', {
      body: { x: [1, 'two'] }, headers: { 'X-Custom': 'v', 'Idempotency-Key': 'ik-1' },
    });
    assert.equal(res.status, 200);
    const e = res.body;
    assert.equal(e.method, 'PATCH');
    assert.equal(e.path, '/api/echo/things/42');
    assert.deepEqual(e.query, { q: 'hello world', n: ['1', '2'] });
    assert.equal(e.rawQuery, 'q=hello%20world&n=1&n=2');
    assert.equal(e.headers['x-custom'], 'v');
    assert.equal(e.headers['idempotency-key'], 'ik-1');
    assert.equal(e.headers.authorization, undefined);
    assert.deepEqual(e.authorization, { present: true, scheme: 'Bearer', user: 'alice' });
    assert.deepEqual(e.json, { x: [1, 'two'] });
    assert.equal(e.body, '{"x":[1,"two"]}');
    assert.ok(!JSON.stringify(e).includes(a), 'the token is not echoed');
    const anon = await saas.api(null, 'POST', '/api/echo', { body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.deepEqual(anon.body.authorization, { present: false, scheme: null, user: null });
    assert.deepEqual(anon.body.form, { a: '1', b: '2' });
    assert.equal((await saas.api('fsat_stale_00000000000000000000', 'GET', '/api/echo')).status, 401);
  });

  test('a token outside the Authorization header is refused or counted', async () => {
    const a = (await saas.connect('alice')).access_token;
    assert.equal((await saas.api(null, 'GET', `/api/me?access_token=${a}`)).status, 400);
    await saas.api(a, 'GET', '/api/echo', { headers: { 'x-leak': a } });
    await saas.api(a, 'POST', '/api/echo', { body: { token: a } });
    const st = await saas.stats();
    assert.equal(st.tokenInUrl, 1);
    assert.equal(st.tokenLeaks, 3);
  });
});

describe('fault injection', () => {
  test('429 with Retry-After for the next N GETs of one path, then normal service', async () => {
    const a = (await saas.connect('alice')).access_token;
    await saas.inject({ path: '/api/items', method: 'GET', status: 429, retryAfter: 2, times: 2 });
    const r1 = await saas.api(a, 'GET', '/api/items');
    assert.equal(r1.status, 429);
    assert.equal(r1.headers.get('retry-after'), '2');
    assert.equal(r1.body.error, 'rate_limited');
    assert.equal((await saas.api(a, 'POST', '/api/items', { body: { title: 't' } })).status, 201); // POST not matched
    assert.equal((await saas.api(a, 'GET', '/api/items')).status, 429);
    assert.equal((await saas.api(a, 'GET', '/api/items')).status, 200);
    const st = await saas.stats();
    assert.equal(st.api['GET /api/items'], 3);
    assert.equal(st.injected, 2);
    const log = await saas.log('/api/items');
    assert.deepEqual(log.map((e) => [e.method, e.status, Boolean(e.injected)]),
      [['GET', 429, true], ['POST', 201, false], ['GET', 429, true], ['GET', 200, false]]);
  });

  test('503 with custom headers and body; an HTTP-date Retry-After; a prefix path; the token endpoint', async () => {
    const a = (await saas.connect('alice')).access_token;
    await saas.inject([
      { path: '/api/*', status: 503, headers: { 'x-ratelimit-remaining': '0' }, body: { ok: false, error: 'down' } },
      { path: '/api/me', status: 429, retryAfter: 'Wed, 21 Oct 2037 07:28:00 GMT' },
      { path: '/oauth/token', grantType: 'refresh_token', oauthError: 'temporarily_unavailable', retryAfter: 1 },
    ]);
    const r1 = await saas.api(a, 'GET', '/api/me');
    assert.equal(r1.status, 503);
    assert.equal(r1.headers.get('x-ratelimit-remaining'), '0');
    assert.deepEqual(r1.body, { ok: false, error: 'down' });
    const r2 = await saas.api(a, 'GET', '/api/me');
    assert.equal(r2.headers.get('retry-after'), 'Wed, 21 Oct 2037 07:28:00 GMT');
    const t = await saas.connect('bob'); // the code grant is not matched by the refresh rule
    const r3 = await saas.refresh(t.refresh_token);
    assert.equal(r3.status, 503);
    assert.equal(r3.body.error, 'temporarily_unavailable');
    assert.equal(r3.headers.get('retry-after'), '1');
    assert.equal((await saas.refresh(t.refresh_token)).status, 200, 'the injected failure consumed nothing');
  });

  test('delay before handling, and a POST executed but answered late', async () => {
    const a = (await saas.connect('alice')).access_token;
    await saas.inject({ path: '/api/me', delayMs: 150 });
    let t0 = Date.now();
    assert.equal((await saas.api(a, 'GET', '/api/me')).status, 200);
    assert.ok(Date.now() - t0 >= 145, `delayed ${Date.now() - t0} ms`);

    // The client gives up before the answer: the item exists anyway (a retry would duplicate it).
    await saas.inject({ path: '/api/items', method: 'POST', delayResponseMs: 1500 });
    t0 = Date.now();
    const timedOut = await fetch(`${saas.apiBase}/items`, {
      method: 'POST', headers: { authorization: `Bearer ${a}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'slow' }), signal: AbortSignal.timeout(200),
    }).then(() => null, (e) => e);
    assert.equal(timedOut?.name, 'TimeoutError');
    assert.ok(Date.now() - t0 < 1000);
    const st = await saas.stats();
    assert.equal(st.postsExecuted, 1);
    assert.equal(st.api['POST /api/items'], 1);
  });

  test('connection reset before the handler (nothing happens) and after it (the POST happened)', async () => {
    const a = (await saas.connect('alice')).access_token;
    await saas.inject({ path: '/api/items', method: 'POST', reset: true });
    const e1 = await saas.api(a, 'POST', '/api/items', { body: { title: 'lost' } }).then(() => null, (e) => e);
    assert.ok(e1 instanceof TypeError, 'fetch failed');
    assert.equal((await saas.stats()).postsExecuted, 0);
    await saas.inject({ path: '/api/items', method: 'POST', reset: 'after' });
    const e2 = await saas.api(a, 'POST', '/api/items', { body: { title: 'ghost' } }).then(() => null, (e) => e);
    assert.ok(e2 instanceof TypeError, 'fetch failed');
    const st = await saas.stats();
    assert.equal(st.postsExecuted, 1);
    assert.deepEqual((await saas.items()).alice.map((i) => i.title), ['ghost']);
    const log = await saas.log('/api/items');
    assert.deepEqual(log.map((e) => e.status), ['reset', 'reset']);
    assert.equal((await saas.api(a, 'GET', '/api/items')).status, 200, 'later connections work');
  });

  test('user-scoped rules; bad rules are refused', async () => {
    const a = (await saas.connect('alice')).access_token;
    const b = (await saas.connect('bob')).access_token;
    await saas.inject({ path: '/api/me', user: 'bob', status: 503 });
    assert.equal((await saas.api(a, 'GET', '/api/me')).status, 200);
    assert.equal((await saas.api(b, 'GET', '/api/me')).status, 503);
    for (const bad of [{}, { status: 99 }, { status: 503, bogus: 1 }, { reset: 'sometimes' }, { status: 503, times: 0 },
      { path: 'api', status: 503 }, { status: 503, headers: { 'x-a': 'b\r\nset-cookie: x' } },
      { status: 503, headers: { 'bad name': 'v' } }, { status: 503, headers: { 'Content-Length': '0' } }]) {
      await assert.rejects(saas.inject(bad), /400/, JSON.stringify(bad));
    }
    await assert.rejects(saas.config({ tokenLifetime: -1 }), /400/);
    await assert.rejects(saas.config({ nope: true }), /400/);
    await assert.rejects(saas.config(JSON.parse('{"constructor":{},"__proto__":{"autoApprove":true}}')), /400/);
    await assert.rejects(saas.expireTokens('mallory'), /unknown_user/);
  });
});

describe('hostile input', () => {
  test('malformed, oversized and odd requests get proper errors and the fixture stays up', async () => {
    const a = (await saas.connect('alice')).access_token;
    const post = (p, body, headers = {}) => fetch(`${saas.issuer}${p}`, { method: 'POST', headers, body });
    const j = async (res) => ({ status: res.status, body: await res.json() });

    assert.deepEqual(await j(await post('/api/items', '{"title":', { authorization: `Bearer ${a}`, 'content-type': 'application/json' })),
      { status: 400, body: { error: 'invalid_json', message: 'the body is not JSON' } });
    for (const body of ['[]', 'null', '"x"', '{"title":""}', '{"title":"t","tags":"x"}', '{"title":"t","tags":[1]}']) {
      const r = await post('/api/items', body, { authorization: `Bearer ${a}`, 'content-type': 'application/json' });
      assert.equal(r.status, 400, body);
    }
    assert.equal((await post('/api/items', '{"title":"t"}', { authorization: `Bearer ${a}`, 'content-type': 'text/plain' })).status, 415);
    const big = await post('/api/items', 'x'.repeat(1024 * 1024 + 1), { authorization: `Bearer ${a}`, 'content-type': 'application/json' });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error, 'request_too_large');
    assert.equal((await saas.stats()).postsExecuted, 0);

    const token = (await j(await post('/oauth/token', '{"grant_type":"refresh_token"}', { 'content-type': 'application/json' })));
    assert.deepEqual([token.status, token.body.error], [400, 'invalid_request']);
    const dup = await saas.tokenRequest({ grant_type: ['refresh_token', 'refresh_token'], refresh_token: 'x' });
    assert.deepEqual([dup.status, dup.body.error], [400, 'invalid_request']);
    const unsupported = await saas.tokenRequest({ grant_type: 'password', username: 'a', password: 'b' });
    assert.equal(unsupported.body.error, 'unsupported_grant_type');
    const missing = await saas.tokenRequest({ grant_type: 'authorization_code', code: 'fsac_x' });
    assert.equal(missing.body.error, 'invalid_request');
    const garbageForm = await post('/oauth/token', '%%%&=&==%zz&grant_type=%E0%A4%A', {
      'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic !!!notbase64',
    });
    assert.equal(garbageForm.status, 401);
    assert.equal((await garbageForm.json()).error, 'invalid_client');
    const weirdBasic = await post('/oauth/token', 'grant_type=refresh_token', {
      'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`,
    });
    assert.equal(weirdBasic.status, 401);
    assert.equal((await fetch(saas.tokenEndpoint)).status, 405);

    assert.equal((await post('/control/inject', '{not json', { 'content-type': 'application/json' })).status, 400);
    assert.equal((await post('/control/config', '[1,2]', { 'content-type': 'application/json' })).status, 400);
    assert.equal((await post('/oauth/authorize', 'request_id=nope&decision=allow&user=alice', {
      'content-type': 'application/x-www-form-urlencoded' })).status, 400);
    assert.equal((await post('/oauth/authorize', '{}', { 'content-type': 'application/json' })).status, 400);
    assert.equal((await fetch(`${saas.issuer}/oauth/authorize?client_id=fake-client&redirect_uri=%ZZ`)).status, 400);
    assert.equal((await saas.api(a, 'GET', '/api/items/%E0%A4%A')).status, 404);
    assert.equal((await saas.api(a, 'GET', '/api/nowhere')).status, 404);
    assert.equal((await saas.api('a b', 'GET', '/api/me')).status, 401);

    assert.match(await rawRequest('BLAH /\r\nnonsense\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(await rawRequest(`GET /api/me HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20000)}\r\n\r\n`), /^HTTP\/1\.1 431/);
    assert.match(await rawRequest('GET http://evil.test/api/me HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'), /^HTTP\/1\.1 400/);
    // A body that stops half-way: the client gives up, the server carries on without acting on it.
    assert.equal(await rawRequest(`POST /api/items HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${a}\r\n` +
      'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"title":"half"}', 200), '');

    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await saas.api(a, 'GET', '/api/me')).status, 200, 'still serving');
    const st = await saas.stats();
    assert.equal(st.internalErrors, 0);
    assert.equal(st.postsExecuted, 0, 'nothing was created by any of it');
    assert.equal((await saas.log('/api/items')).at(-1).status, 'aborted');
  });
});

describe('consent in Chromium', { timeout: 60000 }, () => {
  let context;

  before(async () => {
    const b = await browser;
    if (b instanceof Error) throw b;
    ({ context } = b);
  });

  test('pick bob, press Allow, land on the client with code, state and iss; bob\'s tokens', async () => {
    const { verifier, challenge } = pkce();
    const page = await context.newPage();
    await page.goto(saas.authorizeUrl({ redirectUri: cbUrl, challenge, state: 'browser-state', loginHint: 'bob' }));
    assert.equal(await page.inputValue('#user'), 'bob', 'login_hint preselects the account');
    assert.match(await page.textContent('#client'), /fake-client/);
    const landed = new URL(await consentInBrowser(page, { user: 'bob' }));
    assert.equal(landed.origin + landed.pathname, cbUrl);
    assert.equal(landed.searchParams.get('state'), 'browser-state');
    assert.equal(landed.searchParams.get('iss'), saas.issuer);
    assert.match(await page.textContent('h1'), /client callback/);
    const t = await saas.tokenRequest({
      grant_type: 'authorization_code', code: landed.searchParams.get('code'), redirect_uri: cbUrl, code_verifier: verifier,
    });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal((await saas.api(t.body.access_token, 'GET', '/api/me')).body.login, 'bob');

    await page.goto(saas.authorizeUrl({ redirectUri: cbUrl, challenge, state: 'no' }));
    const denied = new URL(await consentInBrowser(page, { decision: 'deny' }));
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 'no');
    await page.close();
  });
});
