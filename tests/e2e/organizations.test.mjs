// Organizations (issue 8 item 1) through one real gate: two organizations besides the default
// one — acme (domain acme.test; only the pre-registered e2e-public client, no DCR clients) and
// acme-sso (domain sso.acme.test; password sign-in turned off) — and users with the same name
// and password in different organizations. Every sign-in goes through the gate's login and
// consent pages (lib/oauth.mjs UserAgent); the tokens carry the organization (org_id), the
// MCP endpoint accepts them, introspection reports it, and each organization's policy holds.
// Tool authorization is per organization too: every organization has its own authorization
// store (model + tuples), and a grant in one — even `user:*` — never reaches another's users.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { API_TOKEN_ENV, policyApi } from './lib/demo_gate.mjs';
import { BIN } from './lib/mcpgate.mjs';
import {
  authorizeUrl, basicAuth, decodeJwt, findLoginForm, getTokens, initSessionWithToken, OPS_CLIENT,
  pageText, parseForms, pkce, postForm, registerPublicClient, rpc, startAuthGate, STATIC_PUBLIC_CLIENT,
  UserAgent,
} from './lib/oauth.mjs';

const PASSWORD = 'same-Pa55-word-everywhere';
const REDIRECT = 'http://127.0.0.1/cb';
const API_TOKEN = 'e2e-orgs-authz-api-token-0123456789abcdef0123456789';
// Tool checks need a tuple; a user grant may be the wildcard (one tuple opens a tool to every
// user of the store it is written to).
const MODEL = `model
  schema 1.1
type user
type client
type tool
  relations
    define can_invoke: [user, user:*]
    define can_be_used_by_agent: [client, client:*]
`;
const modelDir = mkdtempSync(path.join(tmpdir(), 'mcpgate-e2e-orgs-model-'));
const modelFile = path.join(modelDir, 'model.fga');
writeFileSync(modelFile, MODEL);

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
    extra: [
      'authz:',
      `  model_file: ${JSON.stringify(modelFile)}`,
      '  api:',
      `    token_env: ${API_TOKEN_ENV}`,
    ],
  }, { env: { [API_TOKEN_ENV]: API_TOKEN } });
  dcrClient = await registerPublicClient(gate, [REDIRECT]);
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
  rmSync(modelDir, { recursive: true, force: true });
});

// The OpenFGA-compatible management API with the operator's token.
const api = (method, pathname, body) => policyApi(gate, API_TOKEN)(method, pathname, body);

const TOOL = 'tool:calendar/get_availability';
const grantAll = (user) => ({
  writes: {
    tuple_keys: [
      { user, relation: 'can_invoke', object: TOOL },
      { user: 'client:*', relation: 'can_be_used_by_agent', object: TOOL },
    ],
  },
});

// One tools/call of get_availability with the token: 'allowed', 'denied' (the policy's
// JSON-RPC error) or throws on anything else.
async function callOutcome(token) {
  const sid = await initSessionWithToken(gate, token);
  const r = await rpc(gate, token, sid, 'tools/call', { name: 'get_availability', arguments: { date: '2026-12-01' } });
  assert.equal(r.status, 200, r.body);
  if (r.msg?.result && !r.msg.result.isError) return 'allowed';
  if (r.msg?.error?.code === -31403) return 'denied';
  throw new Error(`unexpected answer: ${r.body}`);
}

async function listed(token) {
  const sid = await initSessionWithToken(gate, token);
  const r = await rpc(gate, token, sid, 'tools/list');
  assert.equal(r.status, 200, r.body);
  return r.msg.result.tools.map((t) => t.name);
}

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

describe('one authorization store per organization', { timeout: 60000 }, () => {
  test('the API lists one store per organization, each saying whose; an unknown id is 404', async () => {
    const r = await api('GET', '/stores');
    assert.equal(r.status, 200, r.body);
    const stores = r.json.stores;
    assert.deepEqual(stores.map((x) => x.organization), ['default', 'acme', 'acme-sso']);
    assert.equal(new Set(stores.map((x) => x.id)).size, 3, 'three different store ids');
    assert.deepEqual(stores.map((x) => x.name), ['mcpgate', 'mcpgate/acme', 'mcpgate/acme-sso']);
    for (const s of stores) {
      const one = await api('GET', `/stores/${s.id}`);
      assert.equal(one.status, 200, one.body);
      assert.equal(one.json.organization, s.organization);
      // Every store has the configured model.
      const models = await api('GET', `/stores/${s.id}/authorization-models`);
      assert.equal(models.json.authorization_models.length, 1, models.body);
    }
    const unknown = await api('POST', '/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/check',
      { tuple_key: { user: 'user:x', relation: 'can_invoke', object: TOOL } });
    assert.equal(unknown.status, 404, unknown.body);
    assert.equal(unknown.json.code, 'store_id_not_found');
  });

  test("another organization's grant, even user:*, never lets an acme user call; acme's own does", async () => {
    const stores = Object.fromEntries((await api('GET', '/stores')).json.stores.map((x) => [x.organization, x.id]));
    const acmeBob = await signIn('bob@acme.test');
    const homeAlice = await signIn('alice');
    const bobSub = decodeJwt(acmeBob.access_token).payload.sub;
    assert.equal(await callOutcome(acmeBob.access_token), 'denied', 'no grant anywhere yet');

    // Everyone may call the tool — in the default organization's and acme-sso's stores.
    for (const org of ['default', 'acme-sso']) {
      const w = await api('POST', `/stores/${stores[org]}/write`, grantAll('user:*'));
      assert.equal(w.status, 200, w.body);
    }
    // A grant naming bob's own user id in another organization's store does not count either.
    const named = await api('POST', `/stores/${stores['acme-sso']}/write`,
      { writes: { tuple_keys: [{ user: `user:${bobSub}`, relation: 'can_invoke', object: TOOL }] } });
    assert.equal(named.status, 200, named.body);
    assert.equal(await callOutcome(homeAlice.access_token), 'allowed', 'the wildcard works where it was written');
    assert.equal(await callOutcome(acmeBob.access_token), 'denied', "another organization's grants reach acme");
    assert.ok(!(await listed(acmeBob.access_token)).includes('get_availability'), 'listed for acme');
    const check = await api('POST', `/stores/${stores.acme}/check`,
      { tuple_key: { user: `user:${bobSub}`, relation: 'can_invoke', object: TOOL } });
    assert.equal(check.json.allowed, false, check.body);

    // The operator writes the grant into acme's store (`mcpgate tuples --org acme`): bob passes.
    const env = { ...process.env, MCPGATE_API_TOKEN: API_TOKEN };
    for (const [user, relation] of [[`user:${bobSub}`, 'can_invoke'], ['client:*', 'can_be_used_by_agent']]) {
      execFileSync(BIN, ['tuples', 'write', '--url', gate.base, '--org', 'acme', user, relation, TOOL], { env });
    }
    const read = await api('POST', `/stores/${stores.acme}/read`, {});
    assert.deepEqual(read.json.tuples.map((x) => x.key.user).sort(), ['client:*', `user:${bobSub}`]);
    assert.equal(await callOutcome(acmeBob.access_token), 'allowed');
    assert.ok((await listed(acmeBob.access_token)).includes('get_availability'));
    // ...and only bob: alice@acme.test, of the same organization, has no grant.
    assert.equal(await callOutcome((await signIn('alice@acme.test')).access_token), 'denied');
  });
});
