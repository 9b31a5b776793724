// Single sign-on through an organization's identity provider (issue 8; ATTACKS rows 62-65),
// one gate and one mock IdP (lib/mock_idp.mjs: oauth2-mock-server 8 behind a loopback proxy):
//   - a real MCP client (the TypeScript SDK) completes its authorization in headless Chromium
//     through "Continue with <IdP>" and through home-realm discovery (email address, no
//     password); the token works and carries the mapped user
//   - forged or broken ID tokens are refused at the callback: bad signature, alg none, HS256
//     with the IdP's public key, wrong aud / iss / nonce, expired, unknown kid; a rotated key
//     is picked up with exactly one JWKS refetch
//   - the callback: missing, reused or other-browser state, iss mismatch or missing iss, an
//     error parameter
//   - accounts: keyed by (org, iss, sub); JIT on and off; a local user with the same name and
//     email is not taken over; logout ends the gate session
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

import { startServer } from './lib/mcpgate.mjs';
import {
  authGateConfig, authorizeUrl, CHROMIUM, CHROMIUM_FLAGS, decodeEntities, decodeJwt, exchangeCode,
  getTokens, HeadlessOAuthProvider, initSessionWithToken, mcpPost, noteSecret, noteTokenResponse, pageText, pkce, registerPublicClient,
  secretsIn, UserAgent, STATIC_PUBLIC_CLIENT,
} from './lib/oauth.mjs';
import { algNone, brokenSignature, hs256WithPublicKey, MockIdp } from './lib/mock_idp.mjs';

const SECRETS = { ACME_SSO_SECRET: 'acme-sso-client-secret-e2e-0123456789', GLOBEX_SSO_SECRET: 'globex-sso-client-secret-e2e-0123456789' };
for (const [k, v] of Object.entries(SECRETS)) noteSecret(k, v);
const INITECH_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });

const DANA_PASSWORD = 'dana-local-Pa55-word';
noteSecret('password of dana', DANA_PASSWORD);
const CAROL = { sub: 'idp|carol', email: 'carol@acme.test', email_verified: true, preferred_username: 'carol', name: 'Carol', groups: ['eng', 'on-call'] };

let idp;
let gate;
let cb;
let cbUrl;
let client; // a DCR public client for the fetch-driven flows

function organizationsYaml(issuer) {
  const sso = (clientId, display, extra) => [
    '    sso:',
    `      issuer: ${issuer}`,
    `      client_id: ${clientId}`,
    `      display_name: ${display}`,
    '      algorithms: [RS256]',
    '      allow_insecure_loopback: true',
    '      jwks_refetch_interval_s: 1',
    ...extra.map((l) => `      ${l}`),
  ];
  return [
    'organizations:',
    '  - id: acme',
    '    name: Acme Corp',
    '    domains: [acme.test]',
    '    jit: true',
    ...sso('acmegate', 'Acme IdP', ['client_secret_env: ACME_SSO_SECRET']),
    '  - id: globex',
    '    name: Globex',
    '    domains: [globex.test]',
    '    jit: false',
    ...sso('globexgate', 'Globex IdP', ['client_secret_env: GLOBEX_SSO_SECRET', 'token_endpoint_auth_method: client_secret_post']),
    '  - id: initech',
    '    name: Initech',
    '    domains: [initech.test]',
    '    jit: true',
    ...sso('initechgate', 'Initech IdP', ['private_key_file: initech-key.pem', 'private_key_alg: RS256']),
  ].join('\n') + '\n';
}

before(async () => {
  idp = await new MockIdp().start();
  for (const id of ['acmegate', 'globexgate', 'initechgate']) idp.clientIds.add(id);
  cb = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>callback</title><h1>Client callback</h1>');
  });
  await new Promise((r) => cb.listen(0, '127.0.0.1', r));
  cbUrl = `http://127.0.0.1:${cb.address().port}/callback`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-sso-'));
  gate = await startServer((port) => {
    const yaml = authGateConfig(port)
      .replace('  scopes:\n', '  limits:\n    sso_starts_per_minute: 10000\n  scopes:\n')
      // A local (password) user of acme whose name and address an IdP user will claim.
      .replace('  clients:\n', `    - {username: dana, password: "${DANA_PASSWORD}", org: acme}\n  clients:\n`);
    return yaml + organizationsYaml(idp.issuer).replace('private_key_file: initech-key.pem', `private_key_file: ${path.join(dir, 'initech-key.pem')}`);
  }, { env: SECRETS, dir, files: { 'initech-key.pem': INITECH_KEY } });
  gate.base = `http://127.0.0.1:${gate.port}`;
  gate.issuer = gate.base;
  gate.resource = `${gate.base}/mcp`;
  client = await registerPublicClient(gate, [cbUrl], { client_name: 'SSO Test Client' });
});

after(async () => {
  if (process.env.SSO_E2E_DEBUG) console.log(gate.logs().split('\n').filter((l) => l.includes('sso_')).join('\n'));
  await new Promise((r) => (cb ? cb.close(() => r()) : r()));
  await idp?.stop();
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

// --- a browser stand-in through the SSO pages ---------------------------------------------------

// GET /authorize and the login page; returns {ua, html, verifier}.
async function openLogin(ua = new UserAgent(), extra = {}) {
  const { verifier, challenge } = await pkce();
  const url = authorizeUrl(gate, {
    response_type: 'code', client_id: client.client_id, redirect_uri: cbUrl, scope: 'calendar:read',
    state: 'sso-state', code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource, ...extra,
  });
  const res = await ua.fetch(url);
  const html = await res.text();
  assert.equal(res.status, 200, `login page: HTTP ${res.status}: ${pageText(html).slice(0, 300)}`);
  return { ua, html, verifier };
}

function ssoLinks(html) {
  return [...html.matchAll(/<a class="sso" href="([^"]+)">Continue with ([^<]+)<\/a>/g)]
    .map((m) => ({ href: decodeEntities(m[1]), label: decodeEntities(m[2]) }));
}

// Follows "Continue with" for `org` up to the IdP's answer; returns the callback URL the IdP
// sent the browser to (not yet followed) and the user agent.
async function toIdp(org, { ua } = {}) {
  const login = await openLogin(ua);
  const link = ssoLinks(login.html).find((l) => new URL(l.href, gate.base).searchParams.get('org') === org);
  assert.ok(link, `no SSO link for ${org}`);
  const start = await login.ua.fetch(new URL(link.href, gate.base));
  assert.equal(start.status, 302, `/sso/start: HTTP ${start.status}: ${pageText(await start.text()).slice(0, 300)}`);
  const idpUrl = new URL(start.headers.get('location'));
  assert.equal(idpUrl.origin, idp.issuer);
  const answer = await fetch(idpUrl, { redirect: 'manual' });
  const callback = new URL(answer.headers.get('location'));
  return { ua: login.ua, callback, idpUrl, verifier: login.verifier };
}

// The whole sign-in; returns the gate's answer to the callback.
async function ssoCallback(org = 'acme', opts = {}) {
  const t = await toIdp(org, opts);
  const res = await t.ua.fetch(t.callback);
  const html = await res.text();
  return { ...t, status: res.status, location: res.headers.get('location'), html, text: pageText(html) };
}

function assertRefused(r, what, status = 403) {
  assert.equal(r.status, status, `${what}: expected HTTP ${status}, got ${r.status} (${r.location ?? r.text.slice(0, 200)})`);
  assert.ok(!r.location, `${what}: redirected to ${r.location}`);
}

function assertSignedIn(r, what) {
  assert.equal(r.status, 303, `${what}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(r.location, /\/consent\?flow=/, `${what}: went to ${r.location}`);
}

// Signs in through `org`, approves consent and redeems the code: the token response.
async function ssoToken(org = 'acme') {
  const r = await ssoCallback(org);
  assertSignedIn(r, `${org} sign-in`);
  let approve = await r.ua.fetch(new URL(r.location, gate.base));
  let html = '';
  if (approve.status === 200) { // a stored consent would answer with the code at once
    html = await approve.text();
    const forms = [...html.matchAll(/name="(flow|csrf)" value="([^"]*)"/g)].reduce((o, m) => ({ ...o, [m[1]]: decodeEntities(m[2]) }), {});
    approve = await r.ua.fetch(new URL('/consent', gate.base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gate.base },
      body: new URLSearchParams({ ...forms, decision: 'approve' }),
    });
  }
  assert.ok([302, 303].includes(approve.status), `consent: HTTP ${approve.status}`);
  const code = new URL(approve.headers.get('location')).searchParams.get('code');
  noteSecret('authorization code (sso)', code);
  const t = await exchangeCode(gate, { code, verifier: r.verifier }, { client_id: client.client_id, redirect_uri: cbUrl });
  assert.equal(t.status, 200, t.body);
  noteTokenResponse('sso', t.json);
  return { ...t.json, consentText: pageText(html), ua: r.ua };
}

function ssoLogLines() {
  return gate.logs().split('\n').filter((l) => l.includes('"sso_login"')).map((l) => JSON.parse(l));
}

// --- a real MCP client in Chromium --------------------------------------------------------------

describe('a real MCP client signs in through the IdP in Chromium', { timeout: 120000 }, () => {
  let context;
  let profileDir;
  let firstSub;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found; install Debian's chromium (scripts/install-deps)`);
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });
  after(async () => {
    await context?.close().catch(() => {});
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  // An OAuthClientProvider whose "browser" is Chromium; `signIn(page)` does the login page part.
  class ChromiumProvider extends HeadlessOAuthProvider {
    constructor(signIn) {
      super({ redirectUrl: cbUrl, clientName: 'SSO SDK client', expectedIssuer: gate.issuer });
      this.signIn = signIn;
    }

    async redirectToAuthorization(url) {
      this.authorizationUrls.push(new URL(url));
      const page = await context.newPage();
      try {
        await page.goto(String(url), { waitUntil: 'load' });
        await this.signIn(page);
        await page.waitForSelector('button[name="decision"][value="approve"]', { timeout: 15000 });
        this.consentText = await page.locator('body').innerText();
        await Promise.all([
          page.waitForURL((u) => u.href.startsWith(cbUrl), { timeout: 15000 }),
          page.click('button[name="decision"][value="approve"]'),
        ]);
        const u = new URL(page.url());
        assert.equal(u.searchParams.get('state'), this._state);
        assert.equal(u.searchParams.get('iss'), gate.issuer);
        this.code = u.searchParams.get('code');
        noteSecret('authorization code (SDK sso)', this.code);
      } finally {
        await page.close();
      }
    }
  }

  async function connect(provider) {
    const mk = () => new StreamableHTTPClientTransport(new URL(gate.url), { authProvider: provider });
    const first = new Client({ name: 'mcpgate-e2e-sso', version: '1.0.0' });
    await assert.rejects(first.connect(mk()), (e) => e instanceof UnauthorizedError);
    assert.ok(provider.code, 'no authorization code');
    const transport = mk();
    await transport.finishAuth(provider.code);
    const mcp = new Client({ name: 'mcpgate-e2e-sso', version: '1.0.0' });
    await mcp.connect(transport);
    const res = await mcp.callTool({ name: 'list_events', arguments: { from: '2031-01-01T00:00:00Z', to: '2031-12-31T00:00:00Z' } });
    assert.notEqual(res.isError, true, JSON.stringify(res));
    await mcp.close();
    return decodeJwt(provider.tokens().access_token).payload;
  }

  test('"Continue with Acme IdP": IdP -> consent as the mapped user -> token -> tools/call', async () => {
    idp.claims = CAROL;
    const provider = new ChromiumProvider(async (page) => {
      assert.equal(await page.locator('a.sso').count(), 3, 'one "Continue with" per SSO organization');
      await page.click('text=Continue with Acme IdP');
    });
    const claims = await connect(provider);
    assert.match(provider.consentText, /signed in as carol\b/, provider.consentText);
    assert.match(claims.sub, /^usr_/);
    assert.equal(claims.org_id, 'acme', "the token names the IdP's organization");
    firstSub = claims.sub;
    const line = ssoLogLines().at(-1);
    assert.equal(line.org_id, 'acme');
    assert.equal(line.user_id, claims.sub, 'the token is not for the user the IdP signed in');
    assert.deepEqual(line.groups, ['eng', 'on-call'], 'groups are logged by name');
    assert.equal(line.jit_created, true);
  });

  test('home-realm discovery: carol@acme.test without a password goes to the IdP with login_hint; same user', async () => {
    await context.clearCookies();
    idp.claims = CAROL;
    const before = idp.authorizeRequests.length;
    const provider = new ChromiumProvider(async (page) => {
      await page.fill('input[name="username"]', 'carol@acme.test');
      await page.locator('form:has(input[name="password"]) button[type="submit"]').click();
    });
    const claims = await connect(provider);
    assert.equal(idp.authorizeRequests.length, before + 1);
    assert.equal(idp.authorizeRequests.at(-1).get('login_hint'), 'carol@acme.test');
    assert.equal(claims.sub, firstSub, 'the same (iss, sub) must map to the same user');
    assert.equal(ssoLogLines().at(-1).jit_created, false);
  });
});

// --- ID token forgeries (row 62) and JWKS rotation (row 65) -----------------------------------

describe('ID tokens the gate must refuse at the callback (row 62)', { timeout: 60000 }, () => {
  before(() => { idp.claims = CAROL; });
  after(() => idp.resetHooks());

  const cases = [
    ['wrong signature', (body) => { body.id_token = brokenSignature(body.id_token); }],
    ['alg none', (body) => { body.id_token = algNone(body.id_token); }],
    ['HS256 signed with the IdP public key', (body) => { body.id_token = hs256WithPublicKey(body.id_token, idp.publicKeyPem()); }],
  ];
  for (const [name, tamper] of cases) {
    test(name, async () => {
      idp.resetHooks();
      idp.tamperTokenResponse = tamper;
      assertRefused(await ssoCallback(), name);
    });
  }
  const claimCases = [
    ['wrong aud', (t) => { t.payload.aud = 'someone-else'; }],
    ['wrong iss', (t) => { t.payload.iss = 'http://127.0.0.1:9/other-idp'; }],
    ['wrong nonce', (t) => { t.payload.nonce = 'not-the-nonce-the-gate-sent'; }],
    ['no nonce', (t) => { delete t.payload.nonce; }],
    ['expired', (t) => { t.payload.exp = Math.floor(Date.now() / 1000) - 3600; t.payload.iat = t.payload.exp - 60; }],
    ['several audiences, azp another client', (t) => { t.payload.aud = ['acmegate', 'other']; t.payload.azp = 'other'; }],
  ];
  for (const [name, tamper] of claimCases) {
    test(name, async () => {
      idp.resetHooks();
      idp.tamperIdToken = tamper;
      assertRefused(await ssoCallback(), name);
    });
  }

  test('an untampered token still signs in (the cases above fail for their reason only)', async () => {
    idp.resetHooks();
    assertSignedIn(await ssoCallback(), 'control');
  });

  test('row 65: a rotated IdP key is fetched once and accepted; a kid still unknown is refused', async () => {
    idp.resetHooks();
    // The gate refetches a JWKS at most every jwks_refetch_interval_s (1 s here, 30 s by default).
    await new Promise((r) => setTimeout(r, 1100));
    const before = idp.jwksHits;
    await idp.rotate();
    assertSignedIn(await ssoCallback(), 'after rotation');
    assert.equal(idp.jwksHits, before + 1, 'exactly one JWKS refetch for the new kid');
    assertSignedIn(await ssoCallback(), 'again');
    assert.equal(idp.jwksHits, before + 1, 'the refetched set is cached');
    idp.tamperIdToken = (t) => { t.header.kid = 'never-published'; };
    assertRefused(await ssoCallback(), 'unknown kid');
    assert.ok(idp.jwksHits <= before + 2, 'refetches are rate limited');
    idp.resetHooks();
  });
});

// --- the callback (row 63) ---------------------------------------------------------------------

describe('the callback (row 63)', { timeout: 60000 }, () => {
  before(() => { idp.claims = CAROL; idp.resetHooks(); });
  after(() => idp.resetHooks());

  test('missing state is refused', async () => {
    const t = await toIdp('acme');
    t.callback.searchParams.delete('state');
    const res = await t.ua.fetch(t.callback);
    assert.equal(res.status, 400);
  });

  test('a state is single use: the replayed callback is refused', async () => {
    const t = await toIdp('acme');
    const first = await t.ua.fetch(t.callback);
    assert.equal(first.status, 303);
    const again = await t.ua.fetch(t.callback);
    assert.equal(again.status, 400, 'replay accepted');
  });

  test('a state is bound to the browser that began the login (and burnt by a wrong one)', async () => {
    const t = await toIdp('acme');
    const other = new UserAgent();
    await openLogin(other);
    const stolen = await other.fetch(t.callback);
    assert.equal(stolen.status, 403, 'another browser completed the login');
    assert.equal(stolen.headers.get('location'), null);
    const own = await t.ua.fetch(t.callback);
    assert.equal(own.status, 400, 'a state presented by another browser must be burnt');
  });

  test('iss mismatch (mix-up) and a missing iss (advertised) are refused', async () => {
    idp.tamperRedirect = (url) => url.searchParams.set('iss', 'http://127.0.0.1:9/other-idp');
    assertRefused(await ssoCallback(), 'iss mismatch');
    idp.tamperRedirect = (url) => url.searchParams.delete('iss');
    assertRefused(await ssoCallback(), 'iss missing');
    idp.resetHooks();
  });

  test('an error parameter ends the sign-in with a clear page', async () => {
    idp.tamperRedirect = (url) => { url.searchParams.delete('code'); url.searchParams.set('error', 'access_denied'); url.searchParams.set('error_description', '<script>x</script>'); };
    const r = await ssoCallback();
    assertRefused(r, 'error parameter');
    assert.match(r.text, /access_denied/);
    assert.ok(!r.html.includes('<script>x'), 'error_description echoed');
    idp.resetHooks();
  });

  test('hostile callback queries are refused without a crash', async () => {
    for (const q of ['state=a&state=b&code=c', 'code=%zz&state=x', `state=${'a'.repeat(12000)}&code=c`, 'state=&code=']) {
      const res = await fetch(new URL(`/sso/callback?${q}`, gate.base));
      assert.equal(res.status, 400, q.slice(0, 40));
    }
    // Over the server's request-head limit: refused before the route.
    const huge = await fetch(new URL(`/sso/callback?state=${'a'.repeat(20000)}&code=c`, gate.base));
    assert.equal(huge.status, 431);
    const bad = await fetch(new URL('/sso/start?flow=nope&org=acme', gate.base));
    assert.equal(bad.status, 400);
    const unknownOrg = await fetch(new URL('/sso/start?flow=nope&org=%3Cx%3E', gate.base));
    assert.equal(unknownOrg.status, 400);
    assert.ok(gate.alive());
  });
});

// --- accounts (row 64), JIT, client authentication, logout --------------------------------------

describe('accounts', { timeout: 60000 }, () => {
  test('JIT off: an unknown person is refused with a clear page', async () => {
    idp.claims = { sub: 'idp|nobody', email: 'nobody@globex.test', preferred_username: 'nobody' };
    const r = await ssoCallback('globex');
    assertRefused(r, 'jit off');
    assert.match(r.text, /no account/i);
    assert.equal(idp.tokenRequests.at(-1).auth, 'post', 'globex uses client_secret_post');
  });

  test('row 64: a local user with the same username and email is not taken over', async () => {
    // dana is a local (password) user of acme; an IdP subject claiming her name and her
    // verified address becomes a new user beside her.
    idp.claims = { sub: 'idp|dana-impostor', email: 'dana@acme.test', email_verified: true, preferred_username: 'dana' };
    const t = await ssoToken('acme');
    assert.match(t.consentText, /signed in as dana-2\b/, t.consentText);
    // Another subject claiming the first SSO user's name and address is not that user either.
    idp.claims = { ...CAROL, sub: 'idp|carol-impostor' };
    const impostor = await ssoToken('acme');
    assert.match(impostor.consentText, /signed in as carol-2\b/, impostor.consentText);
    idp.claims = CAROL;
    const carol = await ssoToken('acme');
    assert.notEqual(decodeJwt(impostor.access_token).payload.sub, decodeJwt(carol.access_token).payload.sub);
    // And the default organization's password user alice is not acme's alice.
    const local = await getTokens(gate, {
      client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: 'http://127.0.0.1/cb', scope: 'calendar:read', username: 'alice',
    });
    idp.claims = { sub: 'idp|alice-at-acme', email: 'alice@acme.test', email_verified: true, preferred_username: 'alice' };
    const acmeAlice = await ssoToken('acme');
    assert.notEqual(decodeJwt(acmeAlice.access_token).payload.sub, decodeJwt(local.access_token).payload.sub);
    assert.equal(idp.tokenRequests.at(-1).auth, 'basic', 'acme uses client_secret_basic');
  });

  test('the same subject at another organization is another user; private_key_jwt reaches the IdP', async () => {
    idp.claims = CAROL;
    const acme = await ssoToken('acme');
    const initech = await ssoToken('initech');
    assert.notEqual(decodeJwt(acme.access_token).payload.sub, decodeJwt(initech.access_token).payload.sub);
    assert.equal(idp.tokenRequests.at(-1).auth, 'private_key_jwt');
  });

  test('logout ends the gate session of an SSO user', async () => {
    idp.claims = CAROL;
    const t = await ssoToken('acme');
    await initSessionWithToken(gate, t.access_token); // the token works before
    const out = await t.ua.fetch(new URL('/logout', gate.base), {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gate.base }, body: '',
    });
    assert.equal(out.status, 303);
    // The next authorization shows the login page again instead of going on to consent.
    const again = await openLogin(t.ua);
    assert.match(again.html, /Continue with Acme IdP/);
    // Signing out revokes what the sign-in authorized (row 32), SSO or not.
    const after = await mcpPost(gate, {
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-sso', version: '1' } },
    }, { token: t.access_token });
    assert.equal(after.status, 401, 'the access token outlived the logout');
  });
});

test('no secret, code, token or cookie in the gate log', () => {
  const hits = secretsIn(gate.logs());
  assert.deepEqual(hits, [], `secrets in the log: ${JSON.stringify(hits)}`);
});
