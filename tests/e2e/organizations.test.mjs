// Organizations (issue 8 item 1) through one real gate: two organizations besides the default
// one — acme (domain acme.test; only the pre-registered e2e-public client, no DCR clients) and
// acme-sso (domain sso.acme.test; password sign-in turned off) — and users with the same name
// and password in different organizations. Every sign-in goes through the gate's login and
// consent pages (lib/oauth.mjs UserAgent); the tokens carry the organization (org_id), the
// MCP endpoint accepts them, introspection reports it, and each organization's policy holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  authorizeUrl, basicAuth, decodeJwt, findLoginForm, getTokens, initSessionWithToken, OPS_CLIENT,
  pageText, parseForms, pkce, postForm, registerPublicClient, startAuthGate, STATIC_PUBLIC_CLIENT,
  UserAgent,
} from './lib/oauth.mjs';

const PASSWORD = 'same-Pa55-word-everywhere';
const REDIRECT = 'http://127.0.0.1/cb';

let gate;
let dcrClient;

before(async () => {
  gate = await startAuthGate({
    logLevel: 'info',
    users: [
      { username: 'alice', password: PASSWORD },
      { username: 'alice@acme.test', password: PASSWORD, org: 'acme' },
      { username: 'bob@acme.test', password: PASSWORD, org: 'acme' },
      { username: 'carol@sso.acme.test', password: PASSWORD, org: 'acme-sso' },
    ],
    organizations: [
      '  - id: acme',
      '    name: Acme',
      '    domains: [acme.test]',
      '    clients: {allow_dcr: false, allowed: [e2e-public]}',
      '  - id: acme-sso',
      '    name: Acme SSO',
      '    domains: [sso.acme.test]',
      '    password_login: false',
    ],
  });
  dcrClient = await registerPublicClient(gate, [REDIRECT]);
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

async function signIn(username, client_id = STATIC_PUBLIC_CLIENT.client_id) {
  return getTokens(gate, {
    client_id, redirect_uri: REDIRECT, username, password: PASSWORD, scope: 'calendar:read',
  });
}

// One sign-in attempt through the real pages (driveAuthorization would retry a refused login
// until it gives up): /authorize, the login form submitted once, redirects followed within the
// gate. Returns {code, status, text} of where it stopped.
async function signInOnce(username, client_id = STATIC_PUBLIC_CLIENT.client_id) {
  const { challenge } = await pkce();
  const url = authorizeUrl(gate, {
    response_type: 'code', client_id, redirect_uri: REDIRECT, scope: 'calendar:read', state: 's1',
    code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource,
  });
  const ua = new UserAgent();
  let current = url;
  let res = await ua.fetch(current);
  let submitted = false;
  for (let hop = 0; hop < 10; hop++) {
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer().catch(() => {});
      const next = new URL(location, current);
      if (next.origin !== url.origin) return { code: next.searchParams.get('code'), status: res.status, text: '' };
      current = next;
      res = await ua.fetch(current);
      continue;
    }
    const html = await res.text();
    const login = res.status === 200 ? findLoginForm(parseForms(html, current)) : undefined;
    if (!login || submitted) return { code: null, status: res.status, text: pageText(html) };
    submitted = true;
    res = await ua.submit(login, { username, password: PASSWORD }, { origin: url.origin });
  }
  throw new Error('sign-in did not settle');
}

async function introspect(token) {
  const r = await postForm(gate, '/introspect', { token },
    { headers: { authorization: basicAuth(OPS_CLIENT.client_id, OPS_CLIENT.client_secret) } });
  assert.equal(r.status, 200, r.body);
  return r.json;
}

describe('organizations', { timeout: 60000 }, () => {
  test('each user signs in to their own organization and the token says which', async () => {
    const subs = new Set();
    for (const [username, org] of [['alice', 'default'], ['alice@acme.test', 'acme'], ['bob@acme.test', 'acme']]) {
      const tokens = await signIn(username);
      const claims = decodeJwt(tokens.access_token).payload;
      assert.equal(claims.org_id, org, `${username}: org_id`);
      subs.add(claims.sub);
      const info = await introspect(tokens.access_token);
      assert.equal(info.active, true);
      assert.equal(info.org_id, org, `${username}: introspection org_id`);
      // The MCP endpoint accepts the token (its org_id is the user's organization).
      await initSessionWithToken(gate, tokens.access_token);
      // A refreshed token keeps the organization.
      const r = await postForm(gate, '/token', {
        grant_type: 'refresh_token', refresh_token: tokens.refresh_token,
        client_id: STATIC_PUBLIC_CLIENT.client_id, resource: gate.resource,
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(decodeJwt(r.json.access_token).payload.org_id, org, `${username}: refreshed org_id`);
    }
    assert.equal(subs.size, 3, 'alice and alice@acme.test are different users');
  });

  test('an identifier without a known domain signs in against the default organization', async () => {
    // "alice@ACME.test" resolves to acme (domains compare case-insensitively); an identifier
    // of another domain is looked up in the default organization, which has no such user.
    const upper = await signIn('alice@ACME.test');
    assert.equal(decodeJwt(upper.access_token).payload.org_id, 'acme');
    const got = await signInOnce('bob@other.test');
    assert.equal(got.code, null, 'no such user in the default organization');
    assert.match(got.text, /Incorrect username or password/);
  });

  test('password sign-in is refused for an organization with password_login: false', async () => {
    const got = await signInOnce('carol@sso.acme.test');
    assert.equal(got.code, null, 'no code, no redirect to the client');
    assert.match(got.text, /Password sign-in is turned off for Acme SSO/);
  });

  test("a client acme's policy does not allow is refused for acme users only", async () => {
    const home = await signIn('alice', dcrClient.client_id);
    assert.equal(decodeJwt(home.access_token).payload.org_id, 'default');
    const got = await signInOnce('bob@acme.test', dcrClient.client_id);
    assert.equal(got.code, null, 'no code for a client the organization does not allow');
    assert.equal(got.status, 403);
    assert.match(got.text, /Acme does not allow this application/);
  });
});
