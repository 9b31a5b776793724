// Strict OAuth 2.1 driver (oauth4webapi, like OAUTH.md §4.4) against a real mcpgate:
// discovery (RFC 8414 + OIDC + RFC 9728), DCR of a confidential client (client_secret_basic),
// code + PKCE + resource with RFC 9207 iss checked, RFC 9068 JWT access token validation,
// refresh rotation with reuse detection, RFC 7662 introspection, RFC 7009 revocation, code replay.
// Every AS response is validated by oauth4webapi's process* functions (OAUTH.md §4.3).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';

import {
  startAuthGate, insecure, driveAuthorization, pkce, authorizeUrl, noteSecret, noteTokenResponse,
  mcpPost, listToolNames, toolsForScope, within, ALL_SCOPES, SCOPE_TOOLS, DEMO_TOOLS,
} from './lib/oauth.mjs';

const REDIRECT = 'http://127.0.0.1:53690/cb'; // loopback, never listened on
const SCOPE = ALL_SCOPES.join(' ');

let gate;
let as;       // validated AS metadata
let client;   // {client_id, ...}
let auth;     // ClientSecretBasic
let reg;      // registration response

before(async () => {
  gate = await startAuthGate();
});
after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

const rejectsWith = async (promise, error) => {
  await assert.rejects(promise, (e) => {
    assert.equal(e?.error, error, `expected OAuth error ${error}, got ${e?.code ?? ''} ${e?.error ?? ''} ${e?.message}`);
    return true;
  });
};

// Authorization with login + consent; returns {params (branded, for the code exchange), verifier, callback}.
async function authorize({ scope = SCOPE } = {}) {
  const { verifier, challenge } = await pkce();
  const state = oauth.generateRandomState();
  const url = authorizeUrl(gate, {
    response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, scope, state,
    code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource,
  });
  const r = await driveAuthorization(url, { username: 'alice' });
  assert.ok(r.callback, `authorization did not redirect back: HTTP ${r.final?.status} ${r.final?.html?.slice(0, 300)}`);
  noteSecret('authorization code', r.callback.searchParams.get('code'));
  // Checks iss (required: the metadata advertises RFC 9207), state, and the absence of error.
  const params = oauth.validateAuthResponse(as, client, r.callback, state);
  return { params, verifier, callback: r.callback };
}

async function exchange({ params, verifier }) {
  const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT, verifier, {
    additionalParameters: { resource: gate.resource }, ...insecure,
  });
  const tok = await oauth.processAuthorizationCodeResponse(as, client, res);
  noteTokenResponse('oauth4webapi code', tok);
  return tok;
}

async function fullFlow(opts) {
  return exchange(await authorize(opts));
}

async function refreshGrant(rt) {
  const res = await oauth.refreshTokenGrantRequest(as, client, auth, rt, {
    additionalParameters: { resource: gate.resource }, ...insecure,
  });
  const tok = await oauth.processRefreshTokenResponse(as, client, res);
  noteTokenResponse('oauth4webapi refresh', tok);
  return tok;
}

async function introspect(token, hint) {
  const res = await oauth.introspectionRequest(as, client, auth, token, {
    ...(hint ? { additionalParameters: { token_type_hint: hint } } : {}), ...insecure,
  });
  return oauth.processIntrospectionResponse(as, client, res);
}

const rsStatus = async (token) => (await mcpPost(gate, {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
}, { token })).status;

describe('oauth4webapi strict driver', { timeout: 120000 }, () => {
  test('RFC 8414 discovery: issuer matches exactly; the contract\'s metadata fields are present', async () => {
    const issuer = new URL(gate.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    assert.equal(as.issuer, gate.issuer);
    const ep = (p) => `${gate.base}${p}`;
    assert.equal(as.authorization_endpoint, ep('/authorize'));
    assert.equal(as.token_endpoint, ep('/token'));
    assert.equal(as.registration_endpoint, ep('/register'));
    assert.equal(as.jwks_uri, ep('/jwks.json'));
    assert.equal(as.introspection_endpoint, ep('/introspect'));
    assert.equal(as.revocation_endpoint, ep('/revoke'));
    assert.deepEqual(as.response_types_supported, ['code']);
    assert.deepEqual([...as.grant_types_supported].sort(), ['authorization_code', 'refresh_token']);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.deepEqual([...as.token_endpoint_auth_methods_supported].sort(),
      ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
    assert.ok(Array.isArray(as.token_endpoint_auth_signing_alg_values_supported) && as.token_endpoint_auth_signing_alg_values_supported.length > 0,
      'token_endpoint_auth_signing_alg_values_supported missing (private_key_jwt is advertised)');
    for (const s of ALL_SCOPES) assert.ok(as.scopes_supported?.includes(s), `scopes_supported lacks ${s}`);
    assert.equal(as.client_id_metadata_document_supported, true);
    assert.equal(as.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(as.response_modes_supported, ['query']);
    assert.ok(Array.isArray(as.introspection_endpoint_auth_methods_supported), 'introspection_endpoint_auth_methods_supported missing');
    assert.ok(Array.isArray(as.revocation_endpoint_auth_methods_supported), 'revocation_endpoint_auth_methods_supported missing');
  });

  test('OIDC discovery serves the same document plus the OIDC fields', async () => {
    const issuer = new URL(gate.issuer);
    const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
    assert.equal(oidc.issuer, gate.issuer);
    assert.equal(oidc.jwks_uri, as.jwks_uri);
    assert.ok(Array.isArray(oidc.subject_types_supported) && oidc.subject_types_supported.length > 0);
    assert.ok(Array.isArray(oidc.id_token_signing_alg_values_supported) && oidc.id_token_signing_alg_values_supported.length > 0);
    assert.deepEqual(oidc.code_challenge_methods_supported, ['S256']);
    assert.equal(oidc.token_endpoint, as.token_endpoint);
  });

  test('RFC 9728 protected resource metadata: exact resource, this AS, header-only bearer, tool scopes', async () => {
    const resource = new URL(gate.resource);
    const prm = await oauth.processResourceDiscoveryResponse(resource, await oauth.resourceDiscoveryRequest(resource, insecure));
    assert.equal(prm.resource, gate.resource);
    assert.deepEqual(prm.authorization_servers, [gate.issuer]);
    assert.deepEqual(prm.bearer_methods_supported, ['header']);
    assert.ok(Array.isArray(prm.scopes_supported) && prm.scopes_supported.length > 0, 'scopes_supported missing');
    assert.ok(!prm.scopes_supported.includes('offline_access'), 'offline_access must not be in PRM scopes_supported');
    const ts = prm.mcpgate_tool_scopes;
    assert.ok(ts && typeof ts === 'object', 'mcpgate_tool_scopes missing');
    for (const [scope, tools] of Object.entries(SCOPE_TOOLS)) {
      for (const tool of tools) assert.ok(ts[tool]?.includes(scope), `mcpgate_tool_scopes.${tool} should include ${scope}: ${JSON.stringify(ts[tool])}`);
    }
    const root = await fetch(`${gate.base}/.well-known/oauth-protected-resource`);
    assert.equal(root.status, 200, 'root PRM document missing');
    const rootDoc = await root.json();
    assert.deepEqual(rootDoc.authorization_servers, [gate.issuer]);
  });

  test('RFC 7591: confidential client registered (201, secret with client_secret_expires_at)', async () => {
    const res = await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi driver', redirect_uris: [REDIRECT], application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic', scope: SCOPE,
    }, insecure);
    assert.equal(res.headers.get('cache-control')?.includes('no-store'), true, 'registration response must not be cached');
    reg = await oauth.processDynamicClientRegistrationResponse(res); // requires 201 + JSON
    noteSecret('DCR client_secret', reg.client_secret);
    noteSecret('DCR registration_access_token', reg.registration_access_token);
    assert.ok(reg.client_id && !reg.client_id.startsWith('https://'));
    assert.equal(typeof reg.client_secret, 'string');
    assert.ok(reg.client_secret.length >= 32, 'client secret too short');
    assert.equal(typeof reg.client_secret_expires_at, 'number', 'client_secret_expires_at must accompany a secret');
    assert.deepEqual(reg.redirect_uris, [REDIRECT]);
    assert.equal(reg.token_endpoint_auth_method, 'client_secret_basic');
    client = { client_id: reg.client_id };
    // oauth4webapi form-urlencodes both halves of Basic credentials (RFC 6749 §2.3.1).
    auth = oauth.ClientSecretBasic(reg.client_secret);
  });

  let tok;
  let codeFlow;
  test('authorization code + PKCE + resource; validateAuthResponse checks iss and state', async () => {
    codeFlow = await authorize();
    assert.equal(codeFlow.callback.searchParams.get('iss'), gate.issuer);
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, codeFlow.params, REDIRECT, codeFlow.verifier, {
      additionalParameters: { resource: gate.resource }, ...insecure,
    });
    assert.match(res.headers.get('cache-control') ?? '', /no-store/, 'token response needs Cache-Control: no-store');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    tok = await oauth.processAuthorizationCodeResponse(as, client, res);
    noteTokenResponse('oauth4webapi code', tok);
    assert.equal(tok.token_type.toLowerCase(), 'bearer');
    assert.ok(tok.expires_in > 0 && tok.expires_in <= 900, `expires_in ${tok.expires_in}`);
    assert.ok(tok.refresh_token, 'no refresh token');
    assert.ok(Buffer.from(tok.refresh_token, 'base64url').length >= 32, 'refresh token has < 256 bits');
  });

  test('RFC 9068: validateJwtAccessToken accepts the access token with aud = resource', async () => {
    const req = new Request(gate.resource, { headers: { authorization: `Bearer ${tok.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, req, gate.resource, insecure);
    assert.equal(claims.iss, gate.issuer);
    assert.equal(Array.isArray(claims.aud) ? claims.aud.join(' ') : claims.aud, gate.resource);
    assert.equal(claims.client_id, client.client_id);
    assert.ok(claims.sub && claims.jti && claims.iat);
    assert.ok(claims.exp - claims.iat <= 900, `lifetime ${claims.exp - claims.iat}s`);
    assert.deepEqual(claims.scope.split(' ').sort(), [...ALL_SCOPES].sort());
  });

  test('the access token works at the MCP endpoint (tools/list shows the demo tools)', async () => {
    assert.deepEqual(await listToolNames(gate, tok.access_token), [...DEMO_TOOLS].sort());
    assert.deepEqual(toolsForScope(tok.scope ?? ALL_SCOPES.join(' ')), [...DEMO_TOOLS].sort());
  });

  test('introspection: access and refresh tokens active, with client_id, sub, scope', async () => {
    const a = await introspect(tok.access_token, 'access_token');
    assert.equal(a.active, true, JSON.stringify(a));
    assert.equal(a.client_id, client.client_id);
    assert.ok(a.sub);
    assert.ok(typeof a.exp === 'number');
    const r = await introspect(tok.refresh_token, 'refresh_token');
    assert.equal(r.active, true, JSON.stringify(r));
    assert.equal(r.client_id, client.client_id);
  });

  test('code replay → invalid_grant, and the tokens issued from that code are revoked', async () => {
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, codeFlow.params, REDIRECT, codeFlow.verifier, {
      additionalParameters: { resource: gate.resource }, ...insecure,
    });
    await rejectsWith(oauth.processAuthorizationCodeResponse(as, client, res), 'invalid_grant');
    await rejectsWith(refreshGrant(tok.refresh_token), 'invalid_grant');
    assert.deepEqual(await introspect(tok.access_token), { active: false });
    const ms = await within(1000, async () => (await rsStatus(tok.access_token)) === 401);
    assert.ok(ms >= 0, 'access token from the replayed code still accepted by the MCP endpoint after 1 s');
  });

  test('refresh rotation; replay of the old refresh token → invalid_grant and the family is revoked', async () => {
    const t1 = await fullFlow();
    const r1 = await refreshGrant(t1.refresh_token);
    assert.ok(r1.refresh_token, 'no refresh token from refresh');
    assert.notEqual(r1.refresh_token, t1.refresh_token, 'refresh token not rotated');
    assert.notEqual(r1.access_token, t1.access_token);
    await rejectsWith(refreshGrant(t1.refresh_token), 'invalid_grant');
    await rejectsWith(refreshGrant(r1.refresh_token), 'invalid_grant'); // family revoked
    assert.deepEqual(await introspect(r1.refresh_token), { active: false });
  });

  test('revocation of a refresh token: 200; introspection then says exactly {active:false}; refresh fails', async () => {
    const t2 = await fullFlow();
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, t2.refresh_token, insecure));
    assert.deepEqual(await introspect(t2.refresh_token), { active: false });
    await rejectsWith(refreshGrant(t2.refresh_token), 'invalid_grant');
    // Revoking a refresh token kills its access tokens too (ATTACKS row 43).
    assert.deepEqual(await introspect(t2.access_token), { active: false });
  });

  test('revocation of an access token: the MCP endpoint refuses it within 1 s', async () => {
    const t3 = await fullFlow();
    assert.equal(await rsStatus(t3.access_token), 200);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, t3.access_token, {
      additionalParameters: { token_type_hint: 'access_token' }, ...insecure,
    }));
    const ms = await within(1000, async () => (await rsStatus(t3.access_token)) === 401);
    assert.ok(ms >= 0, 'revoked access token still accepted after 1 s');
    assert.deepEqual(await introspect(t3.access_token), { active: false });
  });

  test('revoking and introspecting garbage: 200 and exactly {active:false}', async () => {
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, 'garbage-token-value', insecure));
    assert.deepEqual(await introspect('garbage-token-value'), { active: false });
  });

  test('wrong code_verifier → invalid_grant', async () => {
    const f = await authorize();
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, f.params, REDIRECT, oauth.generateRandomCodeVerifier(), {
      additionalParameters: { resource: gate.resource }, ...insecure,
    });
    await rejectsWith(oauth.processAuthorizationCodeResponse(as, client, res), 'invalid_grant');
  });
});
