// Attacks and bad inputs from /work/shared/docs/ATTACKS.md against a real mcpgate with
// authentication on: rows 1–61 that are observable from outside, the resource-server rows
// 101–109, and 78/79 (secrets in logs, registration flood). Each test is named after its row.
// Expected behaviour: /work/notes/oauth-contract.md (the contract) and ATTACKS.md.
//
// Not covered here, and why:
//   38  JWKS rotation: the contract has no way to trigger a rotation from outside yet (todo).
//   32  deactivation through SCIM and password change: no SCIM or password change yet.
//   104 not-yet-valid tokens: would need the gate's signing key.
//   109 upstream requests: the demo tools have no upstream; the log half is row 78.
//   77  timing: optional, not implemented (too noisy on a shared 2-core machine).
//   Rows 10, 13, 22, 31, 34, 37, 44, 53, 55 do not exist in ATTACKS.md.
// Gates: `gate` (main: resources /mcp and /other, CIMD loopback test flag on), `short` (access
// 2 s, code 2 s, refresh idle 4 s / absolute 8 s, 5 registrations a minute, CIMD test flag off)
// and, in row 59, one with issuer path /tenant1. CIMD documents come from a loopback HTTPS
// server whose self-signed certificate the gates trust through SSL_CERT_FILE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';

import {
  startAuthGate, startDocServer, cimdDocument, UserAgent, driveAuthorization, parseForms,
  findLoginForm, findConsentForm, pageText, pkce, authorizeUrl, obtainCode, exchangeCode, refresh,
  getTokens, tokenRequest, postForm, register, oversizedPost, registerPublicClient, registerConfidentialClient,
  basicAuth, decodeJwt, parseChallenge, mcpPost, initSessionWithToken, rpc, listToolNames,
  toolsForScope, within, noteSecret, secretsIn, seenSecrets, insecure,
  OPS_CLIENT, STATIC_PUBLIC_CLIENT, ALL_SCOPES, USERS,
} from './lib/oauth.mjs';
import { BIN, request } from './lib/mcpgate.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const LOOP = 'http://127.0.0.1:54321/cb';      // e2e-public, registered as http://127.0.0.1/cb
const DCR_REDIRECT = 'http://127.0.0.1:54400/callback';
const TOKEN_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client',
  'unsupported_grant_type', 'invalid_scope', 'invalid_target']);

let gate;       // main gate: resources /mcp and /other
let short;      // short TTLs, DCR limit 5/min
let docs;       // https CIMD documents on loopback
let docsHttp;   // plain-http document server (must never be fetched)
let pubA;       // DCR public clients
let pubB;
let confA;      // DCR confidential client (client_secret_basic)
let confB;
const ua = { alice: new UserAgent(), bob: new UserAgent() };
let shortEarly; // tokens obtained on the short gate at start (for expiry checks)
const cimdChanged = { path: `/cimd/changed-${Date.now()}.json` };

before(async () => {
  docs = await startDocServer({ tls: true });
  docsHttp = await startDocServer({ tls: false });
  const env = { SSL_CERT_FILE: docs.certFile };
  [gate, short] = await Promise.all([
    startAuthGate({ resources: (base) => [`${base}/mcp`, `${base}/other`] }, { env }),
    startAuthGate({ ttl: { access: 2, code: 2, idle: 4, refresh: 8 }, dcrPerMinute: 5, cimdLoopback: false }, { env }),
  ]);
  gate.other = `${gate.base}/other`;
  pubA = await registerPublicClient(gate, [DCR_REDIRECT], { client_name: 'Public A' });
  pubB = await registerPublicClient(gate, [DCR_REDIRECT], { client_name: 'Public B' });
  confA = await registerConfidentialClient(gate, [DCR_REDIRECT], 'client_secret_basic', { client_name: 'Conf A' });
  confB = await registerConfidentialClient(gate, [DCR_REDIRECT], 'client_secret_basic', { client_name: 'Conf B' });
  // Short gate: a token whose expiry the late tests observe (access TTL 2 s + 30 s skew).
  shortEarly = await getTokens(short, {
    client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: LOOP, scope: 'calendar:read', resource: short.resource,
  });
  shortEarly.at = Date.now();
  // CIMD document with max-age=1 used once now and changed right after; a late test checks it
  // is re-fetched (the resolver may keep a lower bound on the cache lifetime: ≤ 60 s assumed).
  cimdChanged.id = docs.url(cimdChanged.path);
  docs.set(cimdChanged.path, { body: cimdDocument(cimdChanged.id), headers: { 'cache-control': 'max-age=1' } });
  cimdChanged.first = await getPage(authorizeUrl(gate, await baseParams({ client_id: cimdChanged.id, redirect_uri: 'http://127.0.0.1:53682/callback' })));
  cimdChanged.t0 = Date.now();
  docs.set(cimdChanged.path, { body: cimdDocument(cimdChanged.id, { redirect_uris: ['http://127.0.0.1:53682/changed'] }), headers: { 'cache-control': 'max-age=1' } });
  shortEarly.ops = await getTokens(short, {
    client_id: OPS_CLIENT.client_id, redirect_uri: OPS_CLIENT.redirect_uri, scope: 'calendar:read', resource: short.resource,
    headers: { authorization: basicAuth(OPS_CLIENT.client_id, OPS_CLIENT.client_secret) },
  });
});

after(async () => {
  await docs?.close();
  await docsHttp?.close();
  for (const g of [gate, short]) {
    const exit = await g?.stop();
    if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${g.logs().slice(-3000)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// helpers

async function getPage(url, { agent = new UserAgent(), headers = {}, method = 'GET' } = {}) {
  const res = await agent.fetch(url, { method, headers });
  const html = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), location: res.headers.get('location'), html, url: String(url) };
}

function assertErrorPage(r, why) {
  assert.equal(r.location, null, `${why}: must not redirect, got ${r.status} Location: ${r.location}`);
  assert.ok(r.status >= 400 && r.status < 500, `${why}: expected a 4xx error page, got ${r.status}: ${pageText(r.html).slice(0, 200)}`);
  assert.match(r.headers['content-type'] ?? '', /text\/html/, `${why}: error page should be HTML`);
}

// An error redirect to `redirectUri` with error, the state echoed and iss (RFC 9207).
function assertErrorRedirect(r, redirectUri, error, state, issuer = gate.issuer, { allowFragment = false } = {}) {
  assert.ok(r.status === 302 || r.status === 303, `expected an error redirect (302/303) with ${error}, got ${r.status}: ${r.location ?? pageText(r.html).slice(0, 200)}`);
  const loc = new URL(r.location);
  assert.equal(loc.origin + loc.pathname, new URL(redirectUri).origin + new URL(redirectUri).pathname, `redirected elsewhere: ${r.location}`);
  let p = loc.searchParams;
  if (allowFragment && !p.get('error') && loc.hash) p = new URLSearchParams(loc.hash.slice(1));
  assert.equal(p.get('error'), error, `error in ${r.location}`);
  assert.equal(p.get('state'), state, `state in ${r.location}`);
  assert.equal(p.get('iss'), issuer, `iss in ${r.location}`);
  assert.equal(p.get('code'), null, `an error redirect must carry no code: ${r.location}`);
}

// The gate accepted the request and proceeds to login (200 login page, or a redirect inside the gate).
function assertProceeds(r, why) {
  if (r.status >= 300 && r.status < 400) {
    assert.equal(new URL(r.location, r.url).origin, gate.base, `${why}: redirected out of the gate: ${r.location}`);
    return;
  }
  assert.equal(r.status, 200, `${why}: expected the login page, got ${r.status}: ${pageText(r.html).slice(0, 300)}`);
  assert.ok(findLoginForm(parseForms(r.html, r.url)), `${why}: 200 but no login form: ${pageText(r.html).slice(0, 300)}`);
}

// What a user agent sees first at `url`: follows redirects inside the gate (at most 5) and
// classifies the page ('login' | 'consent' | 'other'), or 'left' when sent out of the gate.
async function firstPageKind(agent, url) {
  let current = new URL(url);
  for (let i = 0; i < 5; i++) {
    const r = await getPage(current, { agent });
    if (r.location) {
      const next = new URL(r.location, current);
      if (next.origin !== gate.base) return 'left';
      current = next;
      continue;
    }
    const forms = parseForms(r.html, current);
    return findLoginForm(forms) ? 'login' : findConsentForm(forms) ? 'consent' : 'other';
  }
  return 'other';
}

let stateCounter = 0;
async function baseParams(extra = {}, g = gate) {
  const { challenge } = await pkce();
  return {
    response_type: 'code', client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: LOOP, scope: 'calendar:read',
    state: `st-${++stateCounter}-${Date.now()}`, code_challenge: challenge, code_challenge_method: 'S256',
    resource: g.resource, ...extra,
  };
}

const pub = (extra = {}) => ({ client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: LOOP, ua: ua.alice, ...extra });
const opsBasic = () => basicAuth(OPS_CLIENT.client_id, OPS_CLIENT.client_secret);
const confBasic = (c) => basicAuth(c.client_id, c.client_secret);

const initBody = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-attacks', version: '1' } },
};
const rsStatus = async (g, token) => (await mcpPost(g, initBody, { token })).status;

function assertTokenError(r, status, error, why = '') {
  assert.equal(r.status, status, `${why} expected ${status} ${error}, got ${r.status} ${r.body}`);
  assert.equal(r.json?.error, error, `${why} expected error ${error}, got ${r.body}`);
  assert.match(r.headers['cache-control'] ?? '', /no-store/, `${why} error responses need Cache-Control: no-store`);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/, `${why} error responses must be JSON`);
}

// ---------------------------------------------------------------------------------------------
describe('authorization endpoint (rows 1–16)', { timeout: 300000 }, () => {
  test('attacks_001_unknown_or_missing_client_id: error page, no redirect', async () => {
    assertErrorPage(await getPage(authorizeUrl(gate, await baseParams({ client_id: 'no-such-client' }))), 'unknown client_id');
    assertErrorPage(await getPage(authorizeUrl(gate, await baseParams({ client_id: undefined }))), 'missing client_id');
    assertErrorPage(await getPage(authorizeUrl(gate, await baseParams({ client_id: '' }))), 'empty client_id');
  });

  test('attacks_002_redirect_uri_exact_match: every near-miss is refused without a redirect', async () => {
    const ok = await getPage(authorizeUrl(gate, await baseParams({ client_id: OPS_CLIENT.client_id, redirect_uri: OPS_CLIENT.redirect_uri })));
    assertProceeds(ok, 'registered redirect_uri (positive control)');
    const variants = [
      'https://ops.example.com/evil',
      'https://OPS.example.com/cb',
      'https://ops.example.com/CB',
      'https://ops.example.com/cb/',
      'https://ops.example.com/cb?x=1',
      'https://ops.example.com/cb#frag',
      'https://ops.example.com@evil.example/cb',
      'https://good@ops.example.com/cb',
      'https://ops.example.com%2Fcb',
      'https://ops.example.com/%63b',
      'https://ops.example.com/cb/%2e%2e/evil',
      'https://ops.example.com/cb/../evil',
      'https://ops.example.com/cb/x',
      'http://ops.example.com/cb',
      'https://xn--ps-mla.example.com/cb',
      'https://ops.example.com:8443/cb',
      'https://ops.example.com.evil.example/cb',
      'https://evil.example/cb',
    ];
    for (const redirect_uri of variants) {
      const r = await getPage(authorizeUrl(gate, await baseParams({ client_id: OPS_CLIENT.client_id, redirect_uri })));
      assertErrorPage(r, `redirect_uri ${redirect_uri}`);
    }
    assertErrorPage(await getPage(authorizeUrl(gate, await baseParams({ client_id: OPS_CLIENT.client_id, redirect_uri: undefined }))),
      'missing redirect_uri is not defaulted to anything but refused or exact');
  });

  test('attacks_003_loopback_redirects: any port on 127.0.0.1 and [::1]; other hosts and paths refused', async () => {
    // Full flow to a port that was not registered: the code lands on exactly that URI.
    const got = await obtainCode(gate, pub({ redirect_uri: 'http://127.0.0.1:54999/cb', scope: 'calendar:read' }));
    assert.ok(got.callback, `no redirect: ${got.result.final?.status} ${pageText(got.result.final?.html ?? '').slice(0, 200)}`);
    assert.equal(got.callback.origin + got.callback.pathname, 'http://127.0.0.1:54999/cb');
    assert.ok(got.code);
    assertProceeds(await getPage(authorizeUrl(gate, await baseParams({ redirect_uri: 'http://[::1]:54998/cb' }))), '[::1] any port');
    // localhost: per policy; whatever the policy, no redirect anywhere else.
    const lh = await getPage(authorizeUrl(gate, await baseParams({ redirect_uri: 'http://localhost:54997/cb' })));
    if (lh.location) assert.equal(new URL(lh.location, lh.url).origin, gate.base, `localhost: redirected to ${lh.location}`);
    for (const redirect_uri of ['http://evil.example/cb', 'http://evil.example:54321/cb', 'http://127.0.0.1:54321/cb/x',
      'http://127.0.0.1:54321/evil', 'http://127.0.0.2:54321/cb', 'https://127.0.0.1:54321/cb', 'http://127.0.0.1:54321/cb?x=1']) {
      assertErrorPage(await getPage(authorizeUrl(gate, await baseParams({ redirect_uri }))), `redirect_uri ${redirect_uri}`);
    }
  });

  test('attacks_004_pkce_s256_required: bad or missing challenges → invalid_request redirect with state and iss', async () => {
    const cases = {
      'missing code_challenge': { code_challenge: undefined, code_challenge_method: undefined },
      'missing challenge, method S256': { code_challenge: undefined },
      'method plain': { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) },
      'challenge 42 chars': { code_challenge: 'a'.repeat(42) },
      'challenge 129 chars': { code_challenge: 'a'.repeat(129) },
      'challenge with invalid characters': { code_challenge: `${'a'.repeat(40)}+/=` },
      'unknown method': { code_challenge_method: 'S512' },
    };
    for (const [name, extra] of Object.entries(cases)) {
      const p = await baseParams(extra);
      const r = await getPage(authorizeUrl(gate, p));
      assertErrorRedirect(r, LOOP, 'invalid_request', p.state);
      void name;
    }
  });

  test('attacks_005_response_type: token / id_token token / unknown → unsupported_response_type', async () => {
    for (const response_type of ['token', 'id_token token', 'code token', 'code id_token', 'bogus']) {
      const p = await baseParams({ response_type });
      const r = await getPage(authorizeUrl(gate, p));
      assertErrorRedirect(r, LOOP, 'unsupported_response_type', p.state, gate.issuer, { allowFragment: true });
    }
    const p = await baseParams({ response_type: undefined });
    assertErrorRedirect(await getPage(authorizeUrl(gate, p)), LOOP, 'invalid_request', p.state);
  });

  test('attacks_006_invalid_scope: error redirect with iss and state (static client); DCR client: redirect or error page', async () => {
    for (const scope of ['admin:everything', 'calendar:read admin:everything', 'offline_access calendar:nope']) {
      const p = await baseParams({ scope });
      assertErrorRedirect(await getPage(authorizeUrl(gate, p)), LOOP, 'invalid_scope', p.state);
    }
    const p = await baseParams({ client_id: pubA.client_id, redirect_uri: DCR_REDIRECT, scope: 'admin:everything' });
    const r = await getPage(authorizeUrl(gate, p));
    if (r.location) assertErrorRedirect(r, DCR_REDIRECT, 'invalid_scope', p.state);
    else assertErrorPage(r, 'invalid scope for a DCR client');
  });

  test('attacks_007_invalid_resource: relative, fragment, not a URI, unknown, repeated → invalid_target', async () => {
    const cases = {
      relative: '/mcp',
      fragment: `${gate.resource}#frag`,
      'not a URI': 'not a uri',
      'unknown server': 'https://other.example/mcp',
      'other path on this host': `${gate.base}/nope`,
      repeated: [gate.resource, gate.resource],
      'repeated, two known resources': [gate.resource, gate.other],
    };
    for (const [name, resource] of Object.entries(cases)) {
      const p = await baseParams({ resource });
      const r = await getPage(authorizeUrl(gate, p));
      assert.ok(r.location, `${name}: expected an invalid_target redirect, got ${r.status} ${pageText(r.html).slice(0, 200)}`);
      assertErrorRedirect(r, LOOP, 'invalid_target', p.state);
    }
  });

  test('attacks_008_resource_canonicalization: a variant is refused or yields a token for the canonical resource', async () => {
    const variants = [gate.resource.replace('http://', 'HTTP://'), `${gate.resource}/`, gate.resource.replace('/mcp', '/MCP')];
    for (const resource of variants) {
      const got = await obtainCode(gate, pub({ resource, scope: 'calendar:read' }));
      const err = got.callback?.searchParams.get('error');
      if (err) {
        assert.equal(err, 'invalid_target', `resource ${resource}: ${got.callback}`);
        continue;
      }
      assert.ok(got.code, `resource ${resource}: neither a code nor an error: ${got.result.final?.status}`);
      const r = await exchangeCode(gate, got, { client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: LOOP, resource });
      assert.equal(r.status, 200, `resource ${resource}: exchange ${r.body}`);
      const { aud } = decodeJwt(r.json.access_token).payload;
      assert.equal(Array.isArray(aud) ? aud.join(' ') : aud, gate.resource, `resource ${resource} accepted: aud must be the canonical resource`);
      assert.equal(await rsStatus(gate, r.json.access_token), 200, `resource ${resource}: token refused by the MCP endpoint`);
    }
  });

  test('attacks_009_prompt_none: no silent grant (login_required / consent_required)', async () => {
    const p = await baseParams({ prompt: 'none', scope: 'mail:read' });
    assertErrorRedirect(await getPage(authorizeUrl(gate, p), { agent: new UserAgent() }), LOOP, 'login_required', p.state);
    // Logged in (alice's agent has a session after any completed flow) but no consent for pubB.
    await getTokens(gate, pub({ scope: 'calendar:read' }));
    const q = await baseParams({ prompt: 'none', client_id: pubB.client_id, redirect_uri: DCR_REDIRECT, scope: 'mail:write' });
    assertErrorRedirect(await getPage(authorizeUrl(gate, q), { agent: ua.alice }), DCR_REDIRECT, 'consent_required', q.state);
  });

  test('attacks_011_oversized_parameters: ~100 KB parameters are rejected, the gate keeps serving', async () => {
    const p = await baseParams({ state: 'x'.repeat(100 * 1024) });
    // A 4xx (414/431/400) or a closed connection both reject; a redirect carrying it does not.
    const r = await getPage(authorizeUrl(gate, p)).catch((e) => ({ status: 0, error: e.cause?.code ?? e.message, headers: {} }));
    assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), `100 KB state: expected 4xx, got ${r.status}`);
    assert.ok(!(r.location ?? '').includes('xxxxxxxxxx'), 'the oversized state was reflected in a redirect');
    const t = await tokenRequest(gate, { grant_type: 'authorization_code', code: 'c'.repeat(100 * 1024), client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: LOOP, code_verifier: 'v'.repeat(43) });
    assert.ok(t.status >= 400 && t.status < 500, `100 KB code at /token: ${t.status}`);
    assertProceeds(await getPage(authorizeUrl(gate, await baseParams())), 'gate still serving');
  });

  test('attacks_012_wrong_content_type: login, consent and token POSTs need a form body', async () => {
    const agent = new UserAgent();
    const page = await getPage(authorizeUrl(gate, await baseParams({ scope: 'mail:read' })), { agent });
    assertProceeds(page, 'authorize');
    let loginPage = page;
    if (page.location) loginPage = await getPage(new URL(page.location, page.url), { agent });
    const form = findLoginForm(parseForms(loginPage.html, loginPage.url));
    assert.ok(form, 'no login form');
    const fields = { ...form.fields, username: 'alice', password: USERS.alice };
    for (const [ct, body] of [['application/json', JSON.stringify(fields)], ['text/plain', new URLSearchParams(fields).toString()]]) {
      const res = await agent.fetch(form.action, { method: 'POST', headers: { 'content-type': ct, origin: gate.base }, body });
      await res.arrayBuffer();
      // Rejected: a 4xx, or a 303 that did not log in (the flow still asks for a login).
      assert.ok((res.status >= 400 && res.status < 500) || res.status === 303, `login POST with ${ct}: expected 4xx, got ${res.status} ${res.headers.get('location') ?? ''}`);
      assert.equal(await firstPageKind(agent, authorizeUrl(gate, await baseParams({ scope: 'mail:read' }))), 'login', `login POST with ${ct} logged the user in`);
    }
    const t = await fetch(`${gate.base}/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', code: 'x', client_id: STATIC_PUBLIC_CLIENT.client_id }),
    });
    assert.equal(t.status, 400, `/token with a JSON body: ${t.status}`);
  });

  test('attacks_014_framing_headers_and_no_cors_on_authorize', async () => {
    const { client_id } = await registerPublicClient(gate, [DCR_REDIRECT], { client_name: 'Framing test' });
    const pages = [];
    const got = await obtainCode(gate, { client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read', ua: new UserAgent() });
    pages.push(...got.result.pages);
    assert.deepEqual(pages.map((p) => p.kind), ['login', 'consent']);
    pages.push(await getPage(authorizeUrl(gate, await baseParams({ client_id: 'no-such-client' }))));
    for (const p of pages) {
      const what = `${p.kind ?? 'error'} page ${p.url}`;
      assert.equal((p.headers['x-frame-options'] ?? '').toUpperCase(), 'DENY', `${what}: X-Frame-Options`);
      const csp = p.headers['content-security-policy'] ?? '';
      assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP ${csp}`);
      assert.match(csp, /default-src 'none'/, `${what}: CSP ${csp}`);
      assert.match(csp, /form-action 'self'/, `${what}: CSP ${csp}`);
      assert.equal(p.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
      assert.match(p.headers['cache-control'] ?? '', /no-store/, `${what}: Cache-Control`);
    }
    const consentCsp = pages[1].headers['content-security-policy'];
    assert.ok(consentCsp.includes('http://127.0.0.1:54400'), `consent CSP form-action must allow the redirect origin: ${consentCsp}`);
    const u = authorizeUrl(gate, await baseParams());
    const g = await getPage(u, { headers: { origin: 'http://evil.example' } });
    assert.equal(g.headers['access-control-allow-origin'], undefined, '/authorize must not send CORS headers');
    const o = await getPage(u, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    assert.equal(o.headers['access-control-allow-origin'], undefined, 'OPTIONS /authorize must not allow CORS');
  });

  test('attacks_015_csrf_on_login_and_consent: wrong, missing, foreign and replayed tokens are refused', async () => {
    const { client_id } = await registerPublicClient(gate, [DCR_REDIRECT], { client_name: 'CSRF test' });
    const start = async (agent) => {
      const { challenge } = await pkce();
      const url = authorizeUrl(gate, { response_type: 'code', client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read',
        state: 'csrf-state', code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource });
      const r = await driveAuthorization(url, { ua: agent, decision: null }); // stops on the consent page
      assert.equal(r.final?.kind, 'consent', `expected the consent page, got ${r.final?.kind} ${r.final?.status}`);
      const form = findConsentForm(r.final.forms);
      assert.ok(form.fields.csrf, 'consent form has no csrf field');
      assert.ok(form.fields.flow, 'consent form has no flow field');
      return form;
    };
    const issuedCode = (res) => {
      const loc = res.headers.get('location');
      if (!loc) return null;
      const u = new URL(loc, gate.base);
      return u.origin !== gate.base ? u.searchParams.get('code') : null;
    };
    const post = async (agent, form, values) => {
      const res = await agent.submit(form, values, { origin: gate.base });
      await res.arrayBuffer();
      assert.ok(res.status !== 307 && res.status !== 308, `POST answered ${res.status}`);
      return res;
    };
    // Login with a forged CSRF token does not log in.
    {
      const agent = new UserAgent();
      const url = authorizeUrl(gate, await baseParams({ client_id, redirect_uri: DCR_REDIRECT }));
      const page = await getPage(url, { agent });
      const lp = page.location ? await getPage(new URL(page.location, page.url), { agent }) : page;
      const form = findLoginForm(parseForms(lp.html, lp.url));
      assert.ok(form, 'no login form');
      assert.ok(form.fields.csrf, 'login form has no csrf field');
      await post(agent, form, { username: 'alice', password: USERS.alice, csrf: 'forged-csrf-value' });
      assert.equal(await firstPageKind(agent, authorizeUrl(gate, await baseParams({ client_id, redirect_uri: DCR_REDIRECT }))), 'login',
        'a login POST with a forged CSRF token established a session');
    }
    // Flow 1: wrong and missing CSRF tokens on the consent form issue no code.
    const agentA = new UserAgent();
    const f1 = await start(agentA);
    const noCsrf = { ...f1, fields: { ...f1.fields } };
    delete noCsrf.fields.csrf;
    for (const [name, form, values] of [['wrong csrf', f1, { decision: 'approve', csrf: 'forged-csrf-value' }], ['missing csrf', noCsrf, { decision: 'approve' }]]) {
      const res = await post(agentA, form, values);
      assert.equal(issuedCode(res), null, `${name}: a code was issued (${res.status} ${res.headers.get('location')})`);
    }
    // Flow 2: session B submits A's form (A's CSRF token and flow) with B's own cookie, and a
    // user agent without any session submits it too. (Before any approval: an approval stores
    // the consent and later flows skip the consent page.)
    const f2 = await start(agentA);
    const agentB = new UserAgent();
    await start(agentB);
    const foreign = await post(agentB, f2, { decision: 'approve' });
    assert.equal(issuedCode(foreign), null, `A's CSRF token accepted in B's session: ${foreign.headers.get('location')}`);
    const bare = await post(new UserAgent(), f2, { decision: 'approve' });
    assert.equal(issuedCode(bare), null, `consent accepted without a session: ${bare.headers.get('location')}`);
    // Flow 3: the genuine decision works exactly once.
    const f3 = await start(agentA);
    const ok = await post(agentA, f3, { decision: 'approve' });
    assert.equal(ok.status, 303, `genuine consent: ${ok.status}`);
    assert.ok(issuedCode(ok), `genuine consent issued no code: ${ok.headers.get('location')}`);
    noteSecret('authorization code', issuedCode(ok));
    const replay = await post(agentA, f3, { decision: 'approve' });
    assert.equal(issuedCode(replay), null, `replayed consent decision issued another code: ${replay.headers.get('location')}`);
  });

  test('contract_session_cookie: mcpgate_session (loopback http issuer), HttpOnly, SameSite=Lax, Path=/', async () => {
    const agent = new UserAgent();
    await getTokens(gate, pub({ scope: 'calendar:read', ua: agent }));
    const session = agent.setCookies.filter((c) => /^(__Host-)?mcpgate_session=/.test(c));
    assert.ok(session.length > 0, `no session cookie set; Set-Cookie seen: ${agent.setCookies.map((c) => c.split('=')[0]).join(', ')}`);
    const c = session.at(-1);
    assert.match(c, /^mcpgate_session=/, 'a loopback http issuer cannot use __Host- (it needs Secure)');
    const attrs = c.split(';').slice(1).map((a) => a.trim().toLowerCase());
    assert.ok(attrs.includes('httponly'), `HttpOnly missing: ${c.replace(/=[^;]*/, '=…')}`);
    assert.ok(attrs.includes('samesite=lax'), `SameSite=Lax missing: ${c.replace(/=[^;]*/, '=…')}`);
    assert.ok(attrs.includes('path=/'), `Path=/ missing: ${c.replace(/=[^;]*/, '=…')}`);
    assert.ok(!attrs.some((a) => a.startsWith('domain=')), 'the session cookie must be host-only');
    assert.ok(agent.jar.get('mcpgate_session').length >= 32, 'session id too short');
  });

  test('attacks_016_posts_answer_303: login, consent and a failed login never use 307/308', async () => {
    const { client_id } = await registerPublicClient(gate, [DCR_REDIRECT], { client_name: '303 test' });
    const got = await obtainCode(gate, { client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read', ua: new UserAgent() });
    assert.equal(got.result.posts.length, 2);
    for (const p of got.result.posts) assert.equal(p.status, 303, `POST ${p.url} → ${p.status}`);
    const agent = new UserAgent();
    const bad = await driveAuthorization(authorizeUrl(gate, await baseParams()), { ua: agent, username: 'alice', password: 'wrong-password', maxHops: 3 }).catch((e) => e);
    const posts = bad.posts ?? agent.exchanges.filter((e) => e.method === 'POST');
    for (const p of posts) assert.ok(p.status !== 307 && p.status !== 308, `failed login POST → ${p.status}`);
  });
});

// ---------------------------------------------------------------------------------------------
describe('token endpoint, codes and PKCE (rows 17–26)', { timeout: 300000 }, () => {
  test('attacks_017_code_replay: invalid_grant and the tokens from that code are revoked', async () => {
    const got = await obtainCode(gate, pub({ scope: 'calendar:read' }));
    const first = await exchangeCode(gate, got, pub());
    assert.equal(first.status, 200, first.body);
    assert.equal(await rsStatus(gate, first.json.access_token), 200);
    const second = await exchangeCode(gate, got, pub());
    assertTokenError(second, 400, 'invalid_grant', 'replayed code');
    const r = await refresh(gate, first.json.refresh_token, { client_id: STATIC_PUBLIC_CLIENT.client_id });
    assertTokenError(r, 400, 'invalid_grant', 'refresh token from a replayed code');
    const ms = await within(1000, async () => (await rsStatus(gate, first.json.access_token)) === 401);
    assert.ok(ms >= 0, 'access token from a replayed code still accepted after 1 s');
  });

  test('attacks_018_code_misuse: another client, another redirect_uri, missing redirect_uri, expired', async () => {
    const forA = async () => obtainCode(gate, { client_id: pubA.client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read', ua: ua.alice });
    let got = await forA();
    assertTokenError(await exchangeCode(gate, got, { client_id: pubB.client_id, redirect_uri: DCR_REDIRECT }), 400, 'invalid_grant', 'code of client A used by client B');
    got = await forA();
    assertTokenError(await exchangeCode(gate, got, { client_id: pubA.client_id, redirect_uri: 'http://127.0.0.1:54401/callback' }), 400, 'invalid_grant', 'different redirect_uri');
    got = await forA();
    const noRedirect = await tokenRequest(gate, { grant_type: 'authorization_code', code: got.code, code_verifier: got.verifier, client_id: pubA.client_id, resource: gate.resource });
    assert.ok(['invalid_grant', 'invalid_request'].includes(noRedirect.json?.error) && noRedirect.status === 400, `missing redirect_uri: ${noRedirect.status} ${noRedirect.body}`);
    // Expiry: the short gate's codes live 2 s.
    const late = await obtainCode(short, pub({ scope: 'calendar:read', resource: short.resource, ua: new UserAgent() }));
    assert.ok(late.code);
    await new Promise((r) => setTimeout(r, 3500));
    assertTokenError(await exchangeCode(short, late, pub({ resource: short.resource })), 400, 'invalid_grant', 'expired code');
  });

  test('attacks_019_pkce_at_token_endpoint: wrong, missing, malformed verifiers', async () => {
    const cases = {
      'wrong verifier': () => oauth.generateRandomCodeVerifier(),
      'missing verifier': () => undefined,
      'verifier with bad characters': () => `${'a'.repeat(40)}+/= `,
      'verifier of 42 characters': () => 'a'.repeat(42),
      'verifier of 129 characters': () => 'a'.repeat(129),
    };
    for (const [name, verifier] of Object.entries(cases)) {
      const got = await obtainCode(gate, pub({ scope: 'calendar:read' }));
      const r = await tokenRequest(gate, { grant_type: 'authorization_code', code: got.code, redirect_uri: LOOP,
        client_id: STATIC_PUBLIC_CLIENT.client_id, code_verifier: verifier(), resource: gate.resource });
      assert.equal(r.status, 400, `${name}: ${r.status} ${r.body}`);
      assert.ok(['invalid_grant', 'invalid_request'].includes(r.json?.error), `${name}: ${r.body}`);
      if (name === 'wrong verifier') assert.equal(r.json.error, 'invalid_grant');
    }
  });

  test('attacks_020_unsupported_grant_types: password and unknown → unsupported_grant_type', async () => {
    for (const grant_type of ['password', 'urn:example:bogus', 'implicit']) {
      const r = await tokenRequest(gate, { grant_type, username: 'alice', password: USERS.alice, client_id: STATIC_PUBLIC_CLIENT.client_id });
      assertTokenError(r, 400, 'unsupported_grant_type', grant_type);
    }
    const r = await tokenRequest(gate, { client_id: STATIC_PUBLIC_CLIENT.client_id });
    assertTokenError(r, 400, 'invalid_request', 'missing grant_type');
  });

  test('attacks_021_client_authentication: decoding, wrong secrets, mixed methods', async () => {
    const bogus = { grant_type: 'authorization_code', code: 'bogus-code', redirect_uri: OPS_CLIENT.redirect_uri, code_verifier: 'a'.repeat(43) };
    // Correct, form-urlencoded Basic credentials (the secret holds ':' '%' '&' '+' '/'): auth passes, the code is bad.
    const good = await tokenRequest(gate, bogus, { headers: { authorization: opsBasic() } });
    assertTokenError(good, 400, 'invalid_grant', 'correct Basic credentials');
    const challenged = (r, why) => {
      assertTokenError(r, 401, 'invalid_client', why);
      assert.match(r.headers['www-authenticate'] ?? '', /^Basic/i, `${why}: 401 needs WWW-Authenticate: Basic`);
    };
    challenged(await tokenRequest(gate, bogus, { headers: { authorization: basicAuth(OPS_CLIENT.client_id, 'wrong-secret') } }), 'wrong secret');
    challenged(await tokenRequest(gate, bogus, { headers: { authorization: basicAuth(OPS_CLIENT.client_id, confA.client_secret) } }), "another client's secret");
    challenged(await tokenRequest(gate, bogus, { headers: { authorization: basicAuth(confA.client_id, `${confA.client_secret}x`) } }), 'DCR client, wrong secret');
    const both = await tokenRequest(gate, { ...bogus, client_id: OPS_CLIENT.client_id, client_secret: OPS_CLIENT.client_secret }, { headers: { authorization: opsBasic() } });
    assert.equal(both.json?.error, 'invalid_client', `Basic and body credentials together: ${both.status} ${both.body}`);
    const none = await tokenRequest(gate, { ...bogus, client_id: OPS_CLIENT.client_id });
    assertTokenError(none, 401, 'invalid_client', 'confidential client without credentials');
    const mismatch = await tokenRequest(gate, { ...bogus, client_id: confA.client_id }, { headers: { authorization: opsBasic() } });
    assert.equal(mismatch.json?.error, 'invalid_client', `body client_id differs from Basic: ${mismatch.status} ${mismatch.body}`);
    // client_secret_post with the right secret is a supported method for a static client? Not
    // asserted: the client is registered for client_secret_basic only.
  });

  test('attacks_023_024_token_response_headers_and_error_shape', async () => {
    const tok = await getTokens(gate, pub({ scope: 'calendar:read' }));
    void tok;
    const got = await obtainCode(gate, pub({ scope: 'calendar:read' }));
    const ok = await exchangeCode(gate, got, pub());
    assert.equal(ok.status, 200);
    assert.match(ok.headers['cache-control'] ?? '', /no-store/);
    assert.match(ok.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(String(ok.json.token_type).toLowerCase(), 'bearer');
    const errors = [
      await tokenRequest(gate, { grant_type: 'authorization_code', code: 'nope', client_id: STATIC_PUBLIC_CLIENT.client_id, redirect_uri: LOOP, code_verifier: 'a'.repeat(43) }),
      await tokenRequest(gate, { grant_type: 'refresh_token', refresh_token: 'nope', client_id: STATIC_PUBLIC_CLIENT.client_id }),
      await tokenRequest(gate, { grant_type: 'bogus', client_id: STATIC_PUBLIC_CLIENT.client_id }),
      await tokenRequest(gate, { grant_type: 'authorization_code', code: 'nope', client_id: 'no-such-client' }),
    ];
    for (const e of errors) {
      assert.ok(e.status === 400 || e.status === 401, `error status ${e.status}: ${e.body}`);
      assert.ok(TOKEN_ERRORS.has(e.json?.error), `not an RFC 6749 error: ${e.body}`);
      assert.match(e.headers['cache-control'] ?? '', /no-store/);
      assert.match(e.headers['content-type'] ?? '', /^application\/json/);
    }
  });

  test('attacks_025_token_resource_must_match_authorization: invalid_target', async () => {
    for (const resource of [gate.other, 'https://evil.example/mcp']) {
      const got = await obtainCode(gate, pub({ scope: 'calendar:read' }));
      const r = await exchangeCode(gate, got, pub({ resource }));
      assertTokenError(r, 400, 'invalid_target', `token resource ${resource} after authorizing ${gate.resource}`);
    }
    const tok = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const r = await refresh(gate, tok.refresh_token, { client_id: STATIC_PUBLIC_CLIENT.client_id, resource: gate.other });
    assertTokenError(r, 400, 'invalid_target', 'refresh with a different resource');
  });

  test('attacks_026_aud_is_the_requested_resource_exactly', async () => {
    const t1 = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const aud1 = decodeJwt(t1.access_token).payload.aud;
    assert.equal(Array.isArray(aud1) ? aud1.join(' ') : aud1, gate.resource);
    const t2 = await getTokens(gate, pub({ scope: 'calendar:read', resource: gate.other }));
    const aud2 = decodeJwt(t2.access_token).payload.aud;
    assert.equal(Array.isArray(aud2) ? aud2.join(' ') : aud2, gate.other);
  });
});

// ---------------------------------------------------------------------------------------------
describe('refresh tokens (rows 27–33)', { timeout: 300000 }, () => {
  test('attacks_027_refresh_rotation_public_client: a new refresh token on every use', async () => {
    const t = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const r1 = await refresh(gate, t.refresh_token, pub());
    assert.equal(r1.status, 200, r1.body);
    const r2 = await refresh(gate, r1.json.refresh_token, pub());
    assert.equal(r2.status, 200, r2.body);
    const all = [t.refresh_token, r1.json.refresh_token, r2.json.refresh_token];
    assert.equal(new Set(all).size, 3, 'refresh token not rotated');
    assert.equal(await rsStatus(gate, r2.json.access_token), 200);
  });

  test('attacks_028_refresh_replay_revokes_family_and_its_access_tokens', async () => {
    const t = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const r1 = await refresh(gate, t.refresh_token, pub());
    assert.equal(r1.status, 200, r1.body);
    assert.equal(await rsStatus(gate, r1.json.access_token), 200);
    assertTokenError(await refresh(gate, t.refresh_token, pub()), 400, 'invalid_grant', 'replayed refresh token');
    assertTokenError(await refresh(gate, r1.json.refresh_token, pub()), 400, 'invalid_grant', 'newest refresh token after reuse');
    for (const at of [t.access_token, r1.json.access_token]) {
      const ms = await within(1000, async () => (await rsStatus(gate, at)) === 401);
      assert.ok(ms >= 0, 'an access token of the revoked family is still accepted after 1 s');
    }
  });

  test('attacks_030_refresh_token_of_another_client: invalid_grant', async () => {
    const t = await getTokens(gate, { client_id: pubA.client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read', ua: ua.alice });
    assertTokenError(await refresh(gate, t.refresh_token, { client_id: pubB.client_id }), 400, 'invalid_grant', 'refresh token of A used by B');
    const c = await refresh(gate, t.refresh_token, { client_id: confB.client_id, headers: { authorization: confBasic(confB) } });
    assertTokenError(c, 400, 'invalid_grant', 'refresh token of A used by confidential B');
  });

  test('attacks_032_refresh_after_revocation_and_logout_fails', async () => {
    const t = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const rv = await postForm(gate, '/revoke', { token: t.refresh_token, token_type_hint: 'refresh_token', client_id: STATIC_PUBLIC_CLIENT.client_id });
    assert.equal(rv.status, 200, `revoke: ${rv.status} ${rv.body}`);
    assertTokenError(await refresh(gate, t.refresh_token, pub()), 400, 'invalid_grant', 'after revocation');
    // Logout ends the gate session; the refresh tokens issued through it stop working.
    const agent = new UserAgent();
    const t2 = await getTokens(gate, pub({ scope: 'calendar:read', ua: agent }));
    const out = await agent.fetch(`${gate.base}/logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gate.base }, body: '' });
    await out.arrayBuffer();
    assert.ok(out.status === 303 || out.status === 200 || out.status === 204, `POST /logout: ${out.status}`);
    assert.equal(await firstPageKind(agent, authorizeUrl(gate, await baseParams({ scope: 'mail:read' }))), 'login', 'the session survived /logout');
    assertTokenError(await refresh(gate, t2.refresh_token, pub()), 400, 'invalid_grant', 'after logout');
  });

  test('attacks_033_refresh_idle_and_absolute_lifetimes (short gate: idle 4 s, absolute 8 s)', async () => {
    const o = pub({ resource: short.resource, ua: new UserAgent() });
    const idle = await getTokens(short, { ...o, scope: 'calendar:read' });
    const abs = await getTokens(short, { ...o, scope: 'calendar:read' });
    const t0 = Date.now();
    const sleepUntil = (ms) => new Promise((r) => setTimeout(r, Math.max(0, t0 + ms - Date.now())));
    await sleepUntil(2500);
    const a1 = await refresh(short, abs.refresh_token, o);
    assert.equal(a1.status, 200, `refresh at 2.5 s: ${a1.body}`);
    await sleepUntil(5000);
    const a2 = await refresh(short, a1.json.refresh_token, o);
    assert.equal(a2.status, 200, `refresh at 5 s: ${a2.body}`);
    await sleepUntil(5500);
    assertTokenError(await refresh(short, idle.refresh_token, o), 400, 'invalid_grant', 'unused for 5.5 s with idle TTL 4 s');
    await sleepUntil(9000);
    assertTokenError(await refresh(short, a2.json.refresh_token, o), 400, 'invalid_grant', 'family older than the absolute TTL 8 s');
  });
});

// ---------------------------------------------------------------------------------------------
describe('access tokens, introspection, revocation (rows 35–43)', { timeout: 300000 }, () => {
  test('attacks_035_036_jwt_header_and_claims', async () => {
    const t1 = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const t2 = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const jwks = await (await fetch(`${gate.base}/jwks.json`)).json();
    assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0, 'empty JWKS');
    for (const k of jwks.keys) {
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(k[priv], undefined, `JWKS publishes private member ${priv}`);
      assert.ok(k.kid, 'JWKS key without kid');
    }
    for (const t of [t1, t2]) {
      const { header, payload } = decodeJwt(t.access_token);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(header.alg, 'ES256');
      assert.ok(jwks.keys.some((k) => k.kid === header.kid), `kid ${header.kid} not in the JWKS`);
      for (const c of ['iss', 'sub', 'aud', 'client_id', 'iat', 'exp', 'jti', 'scope']) assert.ok(payload[c] !== undefined, `claim ${c} missing`);
      assert.equal(payload.iss, gate.issuer);
      assert.equal(payload.client_id, STATIC_PUBLIC_CLIENT.client_id);
      assert.ok(payload.exp - payload.iat <= 900, `lifetime ${payload.exp - payload.iat}`);
    }
    assert.notEqual(decodeJwt(t1.access_token).payload.jti, decodeJwt(t2.access_token).payload.jti, 'jti reused');
    assert.equal(decodeJwt(t1.access_token).payload.sub, decodeJwt(t2.access_token).payload.sub);
  });

  test('attacks_038_jwks_rotation: `mcpgate keys rotate` + SIGHUP; new key signs, old tokens stay valid', async () => {
    const g = await startAuthGate();
    try {
      const o = pub({ scope: 'calendar:read', ua: new UserAgent() });
      const t1 = await getTokens(g, o);
      const kid1 = decodeJwt(t1.access_token).header.kid;
      const before = (await (await fetch(`${g.base}/jwks.json`)).json()).keys.map((k) => k.kid);
      assert.ok(before.includes(kid1), 'the signing key is published');
      assert.ok(before.length >= 2, `the next key is published before it signs anything: ${before}`);
      // The operator command, on the running server's data directory.
      execFileSync(BIN, ['keys', 'rotate', '--config', join(g.dir, 'config.yaml'), '--data', join(g.dir, 'data')],
        { stdio: 'pipe' });
      g.signal('SIGHUP');
      let kid2 = kid1;
      let t2;
      const ms = await within(5000, async () => {
        t2 = await getTokens(g, o);
        kid2 = decodeJwt(t2.access_token).header.kid;
        return kid2 !== kid1;
      }, 200);
      assert.ok(ms >= 0, 'tokens are still signed with the old key after rotation + SIGHUP');
      assert.ok(before.includes(kid2), 'the new signing key was the published next key');
      const after = (await (await fetch(`${g.base}/jwks.json`)).json()).keys.map((k) => k.kid);
      assert.ok(after.includes(kid1) && after.includes(kid2), `old and new keys published: ${after}`);
      assert.equal(await rsStatus(g, t1.access_token), 200, 'a token signed by the retired key is refused');
      assert.equal(await rsStatus(g, t2.access_token), 200, 'a token signed by the new key is refused');
    } finally {
      await g.stop();
    }
  });

  test('attacks_039_introspection_requires_an_authenticated_confidential_client', async () => {
    const t = await getTokens(gate, pub({ scope: 'calendar:read' }));
    const noAuth = await postForm(gate, '/introspect', { token: t.access_token });
    assert.equal(noAuth.status, 401, `no client auth: ${noAuth.status} ${noAuth.body}`);
    const publicClient = await postForm(gate, '/introspect', { token: t.access_token, client_id: STATIC_PUBLIC_CLIENT.client_id });
    assert.equal(publicClient.status, 401, `public client: ${publicClient.status} ${publicClient.body}`);
    const wrong = await postForm(gate, '/introspect', { token: t.access_token }, { headers: { authorization: basicAuth(confA.client_id, 'wrong') } });
    assert.equal(wrong.status, 401, `wrong secret: ${wrong.status}`);
    for (const r of [noAuth, publicClient, wrong]) assert.notEqual(r.json?.active, true, 'introspection answered for an unauthenticated caller');
  });

  test('attacks_040_introspection_of_another_clients_token: active:false', async () => {
    const tA = await getTokens(gate, { client_id: confA.client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read', ua: ua.alice, headers: { authorization: confBasic(confA) } });
    const own = await postForm(gate, '/introspect', { token: tA.access_token }, { headers: { authorization: confBasic(confA) } });
    assert.equal(own.json?.active, true, `own token: ${own.body}`);
    const other = await postForm(gate, '/introspect', { token: tA.access_token }, { headers: { authorization: confBasic(confB) } });
    assert.equal(other.status, 200, other.body);
    assert.deepEqual(other.json, { active: false }, `client B introspecting A's token: ${other.body}`);
  });

  test('attacks_041_introspection_of_garbage_revoked_expired: exactly {"active":false}', async () => {
    const h = { headers: { authorization: confBasic(confA) } };
    const garbage = await postForm(gate, '/introspect', { token: 'garbage' }, h);
    assert.equal(garbage.status, 200);
    assert.deepEqual(garbage.json, { active: false });
    const t = await getTokens(gate, { client_id: confA.client_id, redirect_uri: DCR_REDIRECT, scope: 'calendar:read', ua: ua.alice, headers: { authorization: confBasic(confA) } });
    const rv = await postForm(gate, '/revoke', { token: t.access_token, token_type_hint: 'access_token' }, h);
    assert.equal(rv.status, 200);
    assert.deepEqual((await postForm(gate, '/introspect', { token: t.access_token }, h)).json, { active: false });
    // Expired: ops-dashboard's token on the short gate (2 s TTL + skew) is checked in the late test below.
  });

  test('attacks_042_revoking_garbage_is_200', async () => {
    const r = await postForm(gate, '/revoke', { token: 'garbage-garbage' }, { headers: { authorization: confBasic(confA) } });
    assert.equal(r.status, 200, r.body);
    const p = await postForm(gate, '/revoke', { token: 'garbage-garbage', client_id: STATIC_PUBLIC_CLIENT.client_id });
    assert.equal(p.status, 200, p.body);
  });

  test('attacks_043_revoking_a_refresh_token_kills_its_access_tokens', async () => {
    const t = await getTokens(gate, pub({ scope: 'calendar:read' }));
    assert.equal(await rsStatus(gate, t.access_token), 200);
    const rv = await postForm(gate, '/revoke', { token: t.refresh_token, client_id: STATIC_PUBLIC_CLIENT.client_id });
    assert.equal(rv.status, 200);
    const ms = await within(1000, async () => (await rsStatus(gate, t.access_token)) === 401);
    assert.ok(ms >= 0, 'access token still accepted 1 s after its refresh token was revoked');
  });
});

// ---------------------------------------------------------------------------------------------
describe('dynamic client registration (rows 45–50)', { timeout: 120000 }, () => {
  const meta = (extra) => ({
    client_name: 'DCR attack', redirect_uris: [DCR_REDIRECT], grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'], token_endpoint_auth_method: 'none', ...extra,
  });

  test('attacks_045_dcr_bad_redirect_uris → invalid_redirect_uri', async () => {
    const bad = {
      'javascript:': ['javascript:alert(1)'],
      'data:': ['data:text/html,<script>alert(1)</script>'],
      'http on a public host': ['http://evil.example/cb'],
      wildcard: ['https://*.example.com/cb'],
      fragment: ['https://app.example.com/cb#frag'],
      'not a URL': ['not a url'],
      relative: ['/cb'],
      'empty list': [],
    };
    for (const [name, redirect_uris] of Object.entries(bad)) {
      const r = await register(gate, meta({ redirect_uris }));
      assert.equal(r.status, 400, `${name}: ${r.status} ${r.body}`);
      assert.equal(r.json?.error, 'invalid_redirect_uri', `${name}: ${r.body}`);
    }
    const missing = await register(gate, meta({ redirect_uris: undefined }));
    assert.equal(missing.status, 400, `missing redirect_uris: ${missing.status}`);
    assert.ok(['invalid_redirect_uri', 'invalid_client_metadata'].includes(missing.json?.error), missing.body);
  });

  test('attacks_046_dcr_bad_metadata → invalid_client_metadata', async () => {
    const bad = {
      'unknown auth method': { token_endpoint_auth_method: 'bogus_method' },
      'implicit grant': { grant_types: ['implicit'], response_types: ['token'] },
      'password grant': { grant_types: ['password'] },
      'refresh_token without authorization_code': { grant_types: ['refresh_token'], response_types: ['code'] },
      'code response type without authorization_code grant': { grant_types: ['client_credentials'], response_types: ['code'] },
      'jwks and jwks_uri': { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] }, jwks_uri: 'https://app.example.com/jwks.json' },
      'grant_types not an array': { grant_types: 'authorization_code' },
    };
    for (const [name, extra] of Object.entries(bad)) {
      const r = await register(gate, meta(extra));
      assert.equal(r.status, 400, `${name}: ${r.status} ${r.body}`);
      assert.equal(r.json?.error, 'invalid_client_metadata', `${name}: ${r.body}`);
    }
    const notJson = await register(gate, null, { rawBody: '{"redirect_uris": [' });
    assert.equal(notJson.status, 400, `malformed JSON: ${notJson.status}`);
  });

  test('attacks_047_dcr_oversized_body is rejected; the gate keeps serving', async () => {
    const r = await oversizedPost(gate, '/register', { 'content-type': 'application/json' }, JSON.stringify(meta({ client_name: 'x'.repeat(2 * 1024 * 1024) })));
    assert.ok(r.status === 413 || r.status === 400, `2 MB registration: ${r.status} ${r.error ?? ''}`);
    const ok = await register(gate, meta());
    assert.equal(ok.status, 201);
  });

  test('attacks_048_dcr_ignores_client_chosen_id_secret_and_sub', async () => {
    const r = await register(gate, meta({ client_id: 'chosen-client-id', client_secret: 'chosen-secret-0123456789', sub: 'admin', token_endpoint_auth_method: 'client_secret_basic' }));
    assert.equal(r.status, 201, r.body);
    assert.notEqual(r.json.client_id, 'chosen-client-id');
    assert.notEqual(r.json.client_secret, 'chosen-secret-0123456789');
    assert.notEqual(r.json.sub, 'admin');
  });

  test('attacks_049_dcr_software_statement_with_bad_signature is rejected', async () => {
    const { privateKey } = await jose.generateKeyPair('ES256');
    const ss = await new jose.SignJWT({ software_id: 'evil', redirect_uris: [DCR_REDIRECT] })
      .setProtectedHeader({ alg: 'ES256' }).setIssuer('https://evil.example').setIssuedAt().sign(privateKey);
    const r = await register(gate, meta({ software_statement: ss }));
    assert.equal(r.status, 400, `unverifiable software_statement: ${r.status} ${r.body}`);
    assert.ok(['invalid_software_statement', 'unapproved_software_statement'].includes(r.json?.error), r.body);
  });

  test('attacks_050_dcr_success_201_and_rfc7592_management', async () => {
    const r = await register(gate, meta({ token_endpoint_auth_method: 'client_secret_basic', client_name: 'Managed client' }));
    assert.equal(r.status, 201, r.body);
    const c = r.json;
    assert.ok(c.client_id && !c.client_id.startsWith('https://'));
    assert.equal(c.client_name, 'Managed client');
    assert.deepEqual(c.redirect_uris, [DCR_REDIRECT]);
    assert.equal(c.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual([...c.grant_types].sort(), ['authorization_code', 'refresh_token']);
    assert.equal(typeof c.client_secret, 'string');
    assert.equal(typeof c.client_secret_expires_at, 'number');
    assert.ok(c.registration_access_token, 'no registration_access_token (RFC 7592)');
    assert.ok(c.registration_client_uri, 'no registration_client_uri (RFC 7592)');
    assert.equal(c.registration_client_uri, `${gate.base}/register/${encodeURIComponent(c.client_id)}`);
    const get = (tok) => fetch(c.registration_client_uri, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
    const read = await get(c.registration_access_token);
    assert.equal(read.status, 200);
    assert.equal((await read.json()).client_id, c.client_id);
    assert.equal((await get()).status, 401, 'RFC 7592 read without the registration access token');
    const otherTok = (await register(gate, meta())).json.registration_access_token;
    assert.ok([401, 403].includes((await get(otherTok)).status), "another client's registration token");
    const del = await fetch(c.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${c.registration_access_token}` } });
    assert.equal(del.status, 204);
    assert.ok([401, 404].includes((await get(c.registration_access_token)).status), 'read after delete');
    assertErrorPage(await getPage(authorizeUrl(gate, await baseParams({ client_id: c.client_id, redirect_uri: DCR_REDIRECT }))), 'deleted client');
  });
});

// ---------------------------------------------------------------------------------------------
describe('client ID metadata documents (rows 51–58)', { timeout: 300000 }, () => {
  const cimdParams = (client_id, redirect_uri = 'http://127.0.0.1:53682/callback', extra = {}) => baseParams({ client_id, redirect_uri, ...extra });
  let n = 0;
  const fresh = (suffix = '.json') => `/cimd/c${++n}-${Date.now()}${suffix}`;

  test('attacks_051_cimd_bad_client_id_urls: refused before any fetch', async () => {
    const p = fresh();
    docs.set(p, cimdDocument(docs.url(p)));
    docsHttp.set(p, cimdDocument(docsHttp.url(p)));
    const host = docs.origin.replace('https://', '');
    const bad = {
      'no path': docs.origin,
      'root path': `${docs.origin}/`,
      query: `${docs.url(p)}?x=1`,
      fragment: `${docs.url(p)}#frag`,
      userinfo: `https://user@${host}${p}`,
      'dot segment': `${docs.origin}/cimd/./${p.slice(6)}`,
      'dot-dot segment': `${docs.origin}/cimd/x/../${p.slice(6)}`,
      'encoded dot-dot': `${docs.origin}/cimd/x/%2e%2e/${p.slice(6)}`,
      'control character': `${docs.origin}/cimd/c\n.json`,
      backslash: `${docs.origin}/cimd\\${p.slice(6)}`,
    };
    const before = docs.totalHits() + docsHttp.totalHits();
    for (const [name, client_id] of Object.entries(bad)) {
      assertErrorPage(await getPage(authorizeUrl(gate, await cimdParams(client_id))), `client_id ${name}`);
    }
    assert.equal(docs.totalHits() + docsHttp.totalHits(), before,
      `the gate fetched something for a refused client_id: ${JSON.stringify(docs.log.slice(-5).map((l) => l.url))} ${JSON.stringify(docsHttp.log.map((l) => l.url))}`);
  });

  test('attacks_051_cimd_http_client_id_refused_even_with_the_loopback_test_flag', async () => {
    // CIMD client ids are https URLs (MCP 2025-11-25 / CIMD draft); the test flag is meant to let
    // loopback *addresses* be fetched, not to allow plain http.
    const p = fresh();
    docsHttp.set(p, cimdDocument(docsHttp.url(p)));
    assertErrorPage(await getPage(authorizeUrl(gate, await cimdParams(docsHttp.url(p)))), 'http:// client_id');
    assert.equal(docsHttp.hits(p), 0, 'the gate fetched an http:// client_id document');
  });

  test('attacks_051_cimd_ssrf: without the test flag, loopback client_id URLs are refused before any fetch', async () => {
    const p = fresh();
    docs.set(p, cimdDocument(docs.url(p)));
    docsHttp.set(p, cimdDocument(docsHttp.url(p)));
    for (const id of [docs.url(p), docsHttp.url(p), docs.url(p).replace('127.0.0.1', 'localhost'), docs.url(p).replace('127.0.0.1', '[::1]')]) {
      const r = await getPage(authorizeUrl(short, await baseParams({ client_id: id, redirect_uri: 'http://127.0.0.1:53682/callback' }, short)));
      assertErrorPage(r, `loopback client_id ${id} on a gate without allow_loopback_for_tests`);
    }
    assert.equal(docs.hits(p) + docsHttp.hits(p), 0, 'the gate fetched a loopback client_id document without the test flag');
  });

  test('attacks_052_cimd_bad_documents: invalid_client (error page), failures not cached', async () => {
    const cases = {
      'client_id with trailing slash': (id) => ({ body: cimdDocument(`${id}/`) }),
      'client_id differs in case': (id) => ({ body: cimdDocument(id.replace('/cimd/', '/CIMD/')) }),
      'not JSON': () => ({ body: 'hello, not json', contentType: 'application/json' }),
      'JSON array': (id) => ({ body: [cimdDocument(id)] }),
      'larger than the size cap': (id) => ({ body: cimdDocument(id, { padding: 'x'.repeat(200 * 1024) }) }),
      '404': (id) => ({ status: 404, body: cimdDocument(id) }),
      '500': (id) => ({ status: 500, body: cimdDocument(id) }),
      'redirect to a valid document': (id) => {
        const target = fresh();
        docs.set(target, cimdDocument(id));
        return (req, res) => { res.writeHead(302, { location: docs.url(target) }); res.end(); };
      },
    };
    for (const [name, make] of Object.entries(cases)) {
      const p = fresh();
      const id = docs.url(p);
      docs.set(p, make(id));
      assertErrorPage(await getPage(authorizeUrl(gate, await cimdParams(id))), `document ${name}`);
      assert.ok(docs.hits(p) >= 1, `document ${name}: never fetched`);
    }
    // Not cached: the same URL, fixed, works on the next request.
    const p = fresh();
    const id = docs.url(p);
    docs.set(p, { status: 500, body: 'boom' });
    assertErrorPage(await getPage(authorizeUrl(gate, await cimdParams(id))), 'document 500 before the fix');
    docs.set(p, cimdDocument(id));
    assertProceeds(await getPage(authorizeUrl(gate, await cimdParams(id))), 'same document after the fix (failure must not be cached)');
    assert.ok(docs.hits(p) >= 2);
  });

  test('attacks_052_cimd_slow_document: the gate gives up with an error page', async () => {
    const p = fresh();
    const id = docs.url(p);
    const held = [];
    docs.set(p, (req, res) => { held.push(res); }); // never answers
    const t0 = Date.now();
    const r = await getPage(authorizeUrl(gate, await cimdParams(id)));
    const secs = (Date.now() - t0) / 1000;
    for (const res of held) res.destroy();
    assertErrorPage(r, 'document that never answers');
    assert.ok(secs < 20, `the gate waited ${secs}s for a hanging document`);
  });

  test('attacks_054_cimd_redirect_uris: missing list, or request redirect_uri not listed → refused', async () => {
    const p1 = fresh();
    const doc = cimdDocument(docs.url(p1));
    delete doc.redirect_uris;
    docs.set(p1, doc);
    assertErrorPage(await getPage(authorizeUrl(gate, await cimdParams(docs.url(p1)))), 'document without redirect_uris');
    const p2 = fresh();
    docs.set(p2, cimdDocument(docs.url(p2)));
    assertErrorPage(await getPage(authorizeUrl(gate, await cimdParams(docs.url(p2), 'http://127.0.0.1:53682/other'))), 'redirect_uri not in the document');
    assertProceeds(await getPage(authorizeUrl(gate, await cimdParams(docs.url(p2)))), 'listed redirect_uri (positive control)');
  });

  test('attacks_056_cimd_cache: max-age respected, fetch storms merged', async () => {
    const p = fresh();
    const id = docs.url(p);
    docs.set(p, { body: cimdDocument(id), headers: { 'cache-control': 'max-age=300' } });
    assertProceeds(await getPage(authorizeUrl(gate, await cimdParams(id))), 'first use');
    assertProceeds(await getPage(authorizeUrl(gate, await cimdParams(id))), 'second use');
    assert.equal(docs.hits(p), 1, 'a document with max-age=300 was fetched twice');

    const s = fresh();
    const sid = docs.url(s);
    docs.set(s, (req, res) => setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(cimdDocument(sid)));
    }, 500));
    const storm = await Promise.all(Array.from({ length: 20 }, async () => getPage(authorizeUrl(gate, await cimdParams(sid)))));
    for (const r of storm) assertProceeds(r, 'storm request');
    assert.equal(docs.hits(s), 1, `20 concurrent uses of a new client_id caused ${docs.hits(s)} fetches`);
  });

  test('attacks_057_cimd_consent_page_shows_client_and_redirect_hosts_and_warns_on_loopback', async () => {
    const p = fresh();
    const id = docs.url(p);
    const redirect = 'http://[::1]:53699/callback';
    docs.set(p, cimdDocument(id, { client_name: 'Consent Display Client', redirect_uris: [redirect] }));
    const { challenge } = await pkce();
    const url = authorizeUrl(gate, { response_type: 'code', client_id: id, redirect_uri: redirect, scope: 'calendar:write mail:read',
      state: 's57', code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource });
    const r = await driveAuthorization(url, { ua: new UserAgent(), decision: null });
    const consent = r.final;
    assert.equal(consent?.kind, 'consent', `expected the consent page, got ${consent?.kind} ${consent?.status}`);
    const text = pageText(consent.html);
    assert.ok(text.includes('Consent Display Client'), 'client_name not shown');
    assert.ok(text.includes('127.0.0.1'), 'host of the client_id URL not shown');
    assert.ok(text.includes('::1'), 'redirect URI host not shown');
    assert.match(text, /warn|caution|careful|attention|loopback|localhost|this (computer|device|machine)/i, 'no warning for a loopback redirect');
    assert.ok(text.includes(gate.resource), 'resource not shown');
    for (const s of ['calendar:write', 'mail:read']) assert.ok(text.includes(s), `scope ${s} not shown`);
    for (const tool of ['create_event', 'search_messages']) assert.ok(text.includes(tool), `tool ${tool} not shown`);
  });

  test('attacks_058_cimd_token_endpoint_auth_methods_supported_only: negotiated or cleanly rejected', async () => {
    const p = fresh();
    const id = docs.url(p);
    const doc = cimdDocument(id, { token_endpoint_auth_methods_supported: ['none'] });
    delete doc.token_endpoint_auth_method;
    docs.set(p, doc);
    const r = await getPage(authorizeUrl(gate, await cimdParams(id)));
    assert.ok(r.status < 500, `5xx for a ChatGPT-style document: ${r.status}`);
    if (r.location || r.status === 200) {
      const t = await getTokens(gate, { client_id: id, redirect_uri: 'http://127.0.0.1:53682/callback', scope: 'calendar:read', ua: ua.alice });
      assert.ok(t.access_token, 'negotiated client could not get a token');
    } else {
      assertErrorPage(r, 'rejected ChatGPT-style document');
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('metadata and CORS (rows 59–61)', { timeout: 120000 }, () => {
  test('attacks_059_issuer_exact_and_path_insertion', async () => {
    const md = await (await fetch(gate.asMetadataUrl)).json();
    assert.equal(md.issuer, gate.issuer);
    assert.ok(!md.issuer.endsWith('/'));
    const tenant = await startAuthGate({ issuerPath: '/tenant1' });
    try {
      const issuer = new URL(tenant.issuer);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
      assert.equal(as.issuer, `${tenant.base}/tenant1`);
      const res = await fetch(`${tenant.base}/.well-known/oauth-authorization-server/tenant1`);
      assert.equal(res.status, 200);
    } finally {
      await tenant.stop();
    }
  });

  test('attacks_060_required_metadata_and_iss_on_error_redirects', async () => {
    const md = await (await fetch(gate.asMetadataUrl)).json();
    assert.ok(md.code_challenge_methods_supported?.includes('S256'));
    assert.ok(!md.code_challenge_methods_supported.includes('plain'));
    assert.equal(md.authorization_response_iss_parameter_supported, true);
    const p = await baseParams({ scope: 'nope:nope' });
    const r = await getPage(authorizeUrl(gate, p));
    assert.equal(new URL(r.location).searchParams.get('iss'), gate.issuer, `no iss on an error redirect: ${r.location}`);
    const d = await driveAuthorization(authorizeUrl(gate, await baseParams({ scope: 'mail:write' })), { ua: ua.bob, username: 'bob', decision: 'deny' });
    assert.ok(d.callback, 'deny did not redirect back');
    assert.equal(d.callback.searchParams.get('error'), 'access_denied');
    assert.equal(d.callback.searchParams.get('iss'), gate.issuer, `no iss on access_denied: ${d.callback}`);
    assert.ok(d.callback.searchParams.get('state'));
  });

  test('attacks_061_cors_on_metadata_token_jwks_register_not_on_authorize', async () => {
    const origin = 'http://app.example';
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/.well-known/oauth-protected-resource/mcp', '/jwks.json']) {
      const res = await fetch(`${gate.base}${path}`, { headers: { origin } });
      await res.arrayBuffer();
      assert.ok(res.headers.get('access-control-allow-origin'), `GET ${path}: no Access-Control-Allow-Origin`);
    }
    for (const path of ['/token', '/register']) {
      const pre = await fetch(`${gate.base}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
      await pre.arrayBuffer();
      assert.ok(pre.status >= 200 && pre.status < 300, `preflight ${path}: ${pre.status}`);
      assert.ok(pre.headers.get('access-control-allow-origin'), `preflight ${path}: no Access-Control-Allow-Origin`);
      assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/, `preflight ${path}: POST not allowed`);
    }
    const t = await tokenRequest(gate, { grant_type: 'refresh_token', refresh_token: 'x', client_id: STATIC_PUBLIC_CLIENT.client_id }, { headers: { origin } });
    assert.ok(t.headers['access-control-allow-origin'], 'POST /token: no Access-Control-Allow-Origin');
    const a = await getPage(authorizeUrl(gate, await baseParams()), { headers: { origin } });
    assert.equal(a.headers['access-control-allow-origin'], undefined, '/authorize sends CORS headers');
  });
});

// ---------------------------------------------------------------------------------------------
describe('resource server (rows 101–109)', { timeout: 300000 }, () => {
  let full;   // alice, all scopes, static public client
  let bobTok; // bob, all scopes
  before(async () => {
    full = await getTokens(gate, pub({ scope: ALL_SCOPES.join(' ') }));
    bobTok = await getTokens(gate, pub({ scope: ALL_SCOPES.join(' '), ua: ua.bob, username: 'bob' }));
  });

  test('attacks_101_no_token: 401 with WWW-Authenticate: Bearer resource_metadata="…", scope="…"', async () => {
    const prm = await (await fetch(gate.prmUrl)).json();
    for (const [method, body] of [['POST', JSON.stringify(initBody)], ['GET', undefined], ['DELETE', undefined]]) {
      const r = await request(gate.port, { method, path: '/mcp', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body });
      assert.equal(r.status, 401, `${method} /mcp without a token: ${r.status}`);
      const h = r.headers['www-authenticate'];
      const m = /^Bearer resource_metadata="([^"]+)", scope="([^"]+)"$/.exec(h ?? '');
      assert.ok(m, `${method}: WWW-Authenticate shape: ${h}`);
      assert.equal(m[1], gate.prmUrl);
      const scopes = m[2].split(' ');
      assert.ok(scopes.length > 0 && scopes.every((s) => prm.scopes_supported.includes(s)), `challenge scopes ${m[2]} vs ${prm.scopes_supported}`);
      assert.ok(!scopes.includes('offline_access'));
    }
    assert.equal(prm.resource, gate.resource);
  });

  test('attacks_102_forged_tokens: 401 invalid_token, the same answer for every forgery', async () => {
    const [h64, p64, s64] = full.access_token.split('.');
    const header = decodeJwt(full.access_token).header;
    const payload = decodeJwt(full.access_token).payload;
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwks = await (await fetch(`${gate.base}/jwks.json`)).json();
    const realJwk = jwks.keys.find((k) => k.kid === header.kid) ?? jwks.keys[0];
    const realKey = await jose.importJWK(realJwk, 'ES256');
    const pem = await jose.exportSPKI(realKey);
    const attacker = await jose.generateKeyPair('ES256', { extractable: true });
    const attackerJwk = await jose.exportJWK(attacker.publicKey);
    const sign = (hdr, key) => new jose.SignJWT(payload).setProtectedHeader(hdr).sign(key);
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const forged = {
      'another key, same kid': await sign({ alg: 'ES256', typ: 'at+jwt', kid: header.kid }, attacker.privateKey),
      'another key, unknown kid': await sign({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker-key' }, attacker.privateKey),
      'embedded jwk header': await sign({ alg: 'ES256', typ: 'at+jwt', jwk: attackerJwk }, attacker.privateKey),
      'jku header': await sign({ alg: 'ES256', typ: 'at+jwt', kid: 'x', jku: 'http://127.0.0.1:9/jwks.json' }, attacker.privateKey),
      'alg none': `${b64({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${p64}.`,
      'alg none, no typ': `${b64({ alg: 'none' })}.${p64}.`,
      'signature stripped': `${h64}.${p64}.`,
      'HS256 keyed with the public key PEM': await sign({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }, new TextEncoder().encode(pem)),
      'HS256 keyed with the public JWK JSON': await sign({ alg: 'HS256', typ: 'at+jwt', kid: header.kid }, new TextEncoder().encode(JSON.stringify(realJwk))),
      truncated: full.access_token.slice(0, -6),
      'bit-flipped signature': `${h64}.${p64}.${flip(s64, 10)}`,
      'bit-flipped payload': `${h64}.${flip(p64, 20)}.${s64}`,
      'payload swapped (sub of bob)': `${h64}.${bobTok.access_token.split('.')[1]}.${s64}`,
      'typ JWT header re-signed': await sign({ alg: 'ES256', typ: 'JWT', kid: header.kid }, attacker.privateKey),
      'not a JWT': 'abc.def',
      'empty token': '',
    };
    const challenges = new Set();
    for (const [name, token] of Object.entries(forged)) {
      const r = await mcpPost(gate, initBody, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401, `${name}: ${r.status} ${r.body.slice(0, 200)}`);
      const ch = parseChallenge(r.headers['www-authenticate']);
      assert.equal(ch?.scheme, 'Bearer', `${name}: ${r.headers['www-authenticate']}`);
      if (token !== '') {
        assert.equal(ch.params.error, 'invalid_token', `${name}: ${r.headers['www-authenticate']}`);
        challenges.add(r.headers['www-authenticate']);
      }
      assert.equal(ch.params.resource_metadata, gate.prmUrl, `${name}: ${r.headers['www-authenticate']}`);
    }
    assert.equal(challenges.size, 1, `different answers leak why a forgery failed: ${[...challenges].join(' | ')}`);
    assert.equal(await rsStatus(gate, full.access_token), 200, 'the genuine token (control) was refused');
  });

  test('attacks_103_token_substitution: a token for another resource is refused', async () => {
    const other = await getTokens(gate, pub({ scope: ALL_SCOPES.join(' '), resource: gate.other }));
    const r = await mcpPost(gate, initBody, { token: other.access_token });
    assert.equal(r.status, 401, `token with aud=${gate.other}: ${r.status}`);
    assert.equal(parseChallenge(r.headers['www-authenticate'])?.params.error, 'invalid_token');
    // A token of another authorization server (the short gate) is refused as well.
    assert.equal(await rsStatus(gate, shortEarly.access_token), 401, 'token of another issuer accepted');
  });

  test('attacks_104_revoked_access_token_refused_within_1s', async () => {
    const t = await getTokens(gate, pub({ scope: 'calendar:read' }));
    assert.equal(await rsStatus(gate, t.access_token), 200);
    const rv = await postForm(gate, '/revoke', { token: t.access_token, token_type_hint: 'access_token', client_id: STATIC_PUBLIC_CLIENT.client_id });
    assert.equal(rv.status, 200);
    const ms = await within(1000, async () => (await rsStatus(gate, t.access_token)) === 401);
    assert.ok(ms >= 0, 'revoked access token still accepted after 1 s');
    const r = await mcpPost(gate, initBody, { token: t.access_token });
    assert.equal(parseChallenge(r.headers['www-authenticate'])?.params.error, 'invalid_token');
  });

  test('attacks_105_insufficient_scope: 403 with the needed scope; tools/list filtered; hierarchy honoured', async () => {
    const read = await getTokens(gate, pub({ scope: 'calendar:read' }));
    assert.deepEqual(await listToolNames(gate, read.access_token), toolsForScope('calendar:read'));
    const sid = await initSessionWithToken(gate, read.access_token);
    for (const [tool, args, needed] of [
      ['create_event', { title: 'x', start: '2031-01-01T10:00:00Z', end: '2031-01-01T11:00:00Z' }, 'calendar:write'],
      ['search_messages', { query: '' }, 'mail:read'],
      ['send_message', { to: ['bob@example.com'], subject: 's', body: 'b' }, 'mail:write'],
    ]) {
      const r = await rpc(gate, read.access_token, sid, 'tools/call', { name: tool, arguments: args });
      assert.equal(r.status, 403, `${tool} with calendar:read: ${r.status} ${r.body.slice(0, 200)}`);
      const ch = parseChallenge(r.headers['www-authenticate']);
      assert.equal(ch?.scheme, 'Bearer');
      assert.equal(ch.params.error, 'insufficient_scope', r.headers['www-authenticate']);
      assert.ok((ch.params.scope ?? '').split(' ').includes(needed), `${tool}: scope="${ch.params.scope}" should name ${needed}`);
    }
    const ok = await rpc(gate, read.access_token, sid, 'tools/call', { name: 'list_events', arguments: { from: '2031-01-01T00:00:00Z', to: '2031-02-01T00:00:00Z' } });
    assert.equal(ok.status, 200);
    assert.notEqual(ok.msg?.result?.isError, true, ok.body.slice(0, 300));
    // calendar:write implies calendar:read.
    const write = await getTokens(gate, pub({ scope: 'calendar:write' }));
    assert.deepEqual(await listToolNames(gate, write.access_token), toolsForScope('calendar:write'));
    const wsid = await initSessionWithToken(gate, write.access_token);
    const implied = await rpc(gate, write.access_token, wsid, 'tools/call', { name: 'list_events', arguments: { from: '2031-01-01T00:00:00Z', to: '2031-02-01T00:00:00Z' } });
    assert.equal(implied.status, 200, `list_events with calendar:write (implies calendar:read): ${implied.status}`);
    assert.notEqual(implied.msg?.result?.isError, true);
  });

  test('attacks_106_token_in_query_or_form_body_refused', async () => {
    const tok = full.access_token;
    const q = await request(gate.port, { method: 'POST', path: `/mcp?access_token=${encodeURIComponent(tok)}`, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(initBody) });
    assert.ok(q.status === 400 || q.status === 401, `?access_token= : ${q.status}`);
    const g = await request(gate.port, { method: 'GET', path: `/mcp?access_token=${encodeURIComponent(tok)}`, headers: { accept: 'text/event-stream' } });
    assert.ok(g.status === 400 || g.status === 401, `GET ?access_token= : ${g.status}`);
    const f = await request(gate.port, { method: 'POST', path: '/mcp', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json, text/event-stream' }, body: `access_token=${encodeURIComponent(tok)}` });
    assert.ok([400, 401, 415].includes(f.status), `form-body access_token: ${f.status}`);
    const both = await mcpPost(gate, initBody, { token: tok, path: `/mcp?access_token=${encodeURIComponent(tok)}` });
    assert.ok(both.status === 400 || both.status === 401, `header plus ?access_token= (RFC 6750 §2: one method per request): ${both.status}`);
  });

  test('attacks_107_session_bound_to_subject_and_client', async () => {
    const sid = await initSessionWithToken(gate, full.access_token);
    const own = await rpc(gate, full.access_token, sid, 'tools/list');
    assert.equal(own.status, 200);
    const asBob = await rpc(gate, bobTok.access_token, sid, 'tools/list');
    assert.equal(asBob.status, 404, `alice's session with bob's token: ${asBob.status}`);
    const otherClient = await getTokens(gate, { client_id: pubA.client_id, redirect_uri: DCR_REDIRECT, scope: ALL_SCOPES.join(' '), ua: ua.alice });
    const viaA = await rpc(gate, otherClient.access_token, sid, 'tools/list');
    assert.equal(viaA.status, 404, `alice's session (client e2e-public) with alice's token of another client: ${viaA.status}`);
    const noTok = await mcpPost(gate, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { sessionId: sid });
    assert.equal(noTok.status, 401, 'a session id alone must not authenticate');
  });

  test('attacks_108_authorization_header_variants', async () => {
    const tok = full.access_token;
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const r = await mcpPost(gate, initBody, { headers: { authorization: `${scheme} ${tok}` } });
      assert.equal(r.status, 200, `scheme "${scheme}" must be accepted (case-insensitive): ${r.status}`);
    }
    const spaces = await mcpPost(gate, initBody, { headers: { authorization: `Bearer   ${tok}` } });
    assert.ok([200, 400, 401].includes(spaces.status), `extra spaces: ${spaces.status}`);
    const two = await mcpPost(gate, initBody, { headers: { authorization: [`Bearer ${tok}`, `Bearer ${tok}`] } });
    assert.ok(two.status === 400 || two.status === 401, `two Authorization headers: ${two.status}`);
    const twoMixed = await mcpPost(gate, initBody, { headers: { authorization: [`Bearer ${bobTok.access_token}`, `Bearer ${tok}`] } });
    assert.ok(twoMixed.status === 400 || twoMixed.status === 401, `two different Authorization headers: ${twoMixed.status}`);
    for (const value of [`Basic ${Buffer.from('alice:x').toString('base64')}`, 'Bearer', 'Bearer ', tok, `Token ${tok}`]) {
      const r = await mcpPost(gate, initBody, { headers: { authorization: value } });
      assert.equal(r.status, 401, `Authorization "${value.slice(0, 20)}…": ${r.status}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('short lifetimes, registration flood, logs (rows 41, 79, 104, 78, 109)', { timeout: 300000 }, () => {
  test('attacks_056_cimd_changed_document_is_refetched (max-age=1, checked ≥ 63 s later)', async () => {
    assertProceeds(cimdChanged.first, 'first use of the document');
    const wait = cimdChanged.t0 + 63000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = await getPage(authorizeUrl(gate, await baseParams({ client_id: cimdChanged.id, redirect_uri: 'http://127.0.0.1:53682/changed' })));
    assertProceeds(r, `changed document not re-fetched ${Math.round((Date.now() - cimdChanged.t0) / 1000)} s after a max-age=1 fetch`);
    assert.ok(docs.hits(cimdChanged.path) >= 2);
  });

  test('attacks_104_041_expired_access_token: refused by the MCP endpoint and inactive at introspection', async () => {
    // Access TTL 2 s, 30 s skew: wait until 34 s after issuance.
    const wait = shortEarly.at + 34000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = await mcpPost(short, initBody, { token: shortEarly.access_token });
    assert.equal(r.status, 401, `expired token: ${r.status}`);
    assert.equal(parseChallenge(r.headers['www-authenticate'])?.params.error, 'invalid_token');
    // ops-dashboard's own token, issued in before(): active then, expired now.
    const intro = await postForm(short, '/introspect', { token: shortEarly.ops.access_token }, { headers: { authorization: opsBasic() } });
    assert.equal(intro.status, 200, intro.body);
    assert.deepEqual(intro.json, { active: false }, `expired token introspection: ${intro.body}`);
    const rtIntro = await postForm(short, '/introspect', { token: shortEarly.ops.refresh_token }, { headers: { authorization: opsBasic() } });
    assert.equal(rtIntro.json?.active, false, `refresh token older than the absolute TTL (8 s): ${rtIntro.body}`);
  });

  test('attacks_079_registration_flood_gets_429 (limit 5/min)', async () => {
    const statuses = [];
    for (let i = 0; i < 12; i++) {
      const r = await register(short, { client_name: `flood ${i}`, redirect_uris: [DCR_REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] });
      statuses.push(r.status);
    }
    assert.ok(statuses.slice(0, 5).every((s) => s === 201), `the first 5 registrations should succeed: ${statuses}`);
    assert.ok(statuses.includes(429), `no 429 in ${statuses}`);
    assert.ok(statuses.slice(5).every((s) => s === 429), `registrations over the limit: ${statuses}`);
  });

  test('attacks_078_109_no_token_code_secret_or_cookie_in_the_logs', async () => {
    // Stop both gates so their log writers flush, then look for every secret value seen.
    await gate.stop();
    await short.stop();
    const logs = gate.logs() + short.logs();
    assert.ok(logs.length > 0, 'no log output captured');
    assert.ok(seenSecrets.size > 20, `too few secrets recorded (${seenSecrets.size}) for the check to mean anything`);
    const hits = secretsIn(logs);
    assert.deepEqual(hits, [], `secrets in the server log: ${JSON.stringify(hits, null, 1)}`);
  });
});

