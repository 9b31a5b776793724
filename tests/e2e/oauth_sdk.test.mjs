// The MCP TypeScript SDK client (Client + StreamableHTTPClientTransport + an OAuthClientProvider)
// against a real mcpgate with authentication on (/work/notes/oauth-contract.md):
//   401 → RFC 9728 discovery → RFC 8414 metadata → client (CIMD on loopback, or DCR) → PKCE →
//   login + consent through the gate's real pages → token → tools/list + tools/call,
// then a refresh (rotation) and a call with the refreshed token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  UnauthorizedError, discoverOAuthServerInfo, refreshAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';

import {
  HeadlessOAuthProvider, startAuthGate, startDocServer, cimdDocument, decodeJwt, toolsForScope,
  effectiveScopes, noteTokenResponse, parseChallenge, pageText,
} from './lib/oauth.mjs';

let gate;
let docs;

before(async () => {
  docs = await startDocServer({ tls: true });
  gate = await startAuthGate({}, { env: { SSL_CERT_FILE: docs.certFile } });
});

after(async () => {
  await docs?.close();
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

// fetch that records every exchange the SDK makes (method, URL, status, WWW-Authenticate).
function recordingFetch(log) {
  return async (url, init) => {
    const res = await fetch(url, init);
    log.push({
      method: (init?.method ?? 'GET').toUpperCase(),
      url: String(url),
      status: res.status,
      wwwAuthenticate: res.headers.get('www-authenticate'),
    });
    return res;
  };
}

// Connects a fresh Client with the provider; on 401 the provider drives login + consent and the
// code is exchanged with finishAuth, then the client connects again. Returns {client, transport}.
async function connectWithOAuth(provider, log) {
  const mk = () => new StreamableHTTPClientTransport(new URL(gate.url), {
    authProvider: provider, fetch: recordingFetch(log),
  });
  const first = new Client({ name: 'mcpgate-e2e-oauth-sdk', version: '1.0.0' });
  await assert.rejects(first.connect(mk()), (e) => {
    assert.ok(e instanceof UnauthorizedError, `expected UnauthorizedError, got ${e?.stack ?? e}`);
    return true;
  });
  assert.ok(provider.code, 'the provider did not obtain an authorization code');
  const transport = mk();
  await transport.finishAuth(provider.code);
  const client = new Client({ name: 'mcpgate-e2e-oauth-sdk', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function structured(result, name) {
  const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  assert.notEqual(result.isError, true, `${name} returned isError: ${text}`);
  assert.ok(result.structuredContent, `${name} returned no structuredContent: ${text}`);
  return result.structuredContent;
}

function assertDiscoveryOrder(log, { dcr }) {
  const seq = log.map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`);
  const first = log[0];
  assert.ok(first, 'the SDK made no request');
  assert.equal(first.status, 401, `first MCP request should be 401 without a token: ${seq.join(' | ')}`);
  const ch = parseChallenge(first.wwwAuthenticate);
  assert.equal(ch?.scheme?.toLowerCase(), 'bearer', `401 without a Bearer challenge: ${first.wwwAuthenticate}`);
  assert.equal(ch.params.resource_metadata, gate.prmUrl, `resource_metadata in ${first.wwwAuthenticate}`);
  const idx = (pred) => log.findIndex(pred);
  const prm = idx((e) => e.method === 'GET' && e.url === gate.prmUrl && e.status === 200);
  const asm = idx((e) => e.method === 'GET' && new URL(e.url).pathname === '/.well-known/oauth-authorization-server' && e.status === 200);
  assert.ok(prm > 0, `no successful PRM fetch at ${gate.prmUrl}: ${seq.join(' | ')}`);
  assert.ok(asm > prm, `AS metadata must be fetched (200) after the PRM: ${seq.join(' | ')}`);
  const reg = idx((e) => e.method === 'POST' && new URL(e.url).pathname === '/register');
  if (dcr) {
    assert.ok(reg > asm, `DCR expected after AS metadata: ${seq.join(' | ')}`);
    assert.equal(log[reg].status, 201, `POST /register answered ${log[reg].status}`);
  } else {
    assert.equal(reg, -1, `a CIMD client must not register: ${seq.join(' | ')}`);
  }
  const tok = idx((e) => e.method === 'POST' && new URL(e.url).pathname === '/token');
  assert.ok(tok > asm, `no token request after discovery: ${seq.join(' | ')}`);
  assert.equal(log[tok].status, 200, `POST /token answered ${log[tok].status}`);
}

function assertAuthorizationRequest(provider, clientId) {
  assert.equal(provider.authorizationUrls.length, 1, 'exactly one authorization redirect expected');
  const u = provider.authorizationUrls[0];
  assert.equal(u.origin + u.pathname, `${gate.base}/authorize`);
  const p = u.searchParams;
  assert.equal(p.get('client_id'), clientId);
  assert.equal(p.get('response_type'), 'code');
  assert.equal(p.get('code_challenge_method'), 'S256');
  assert.match(p.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(p.get('resource'), gate.resource, 'the SDK sends the PRM resource verbatim');
  // The pages the user saw: a login page then a consent page, answered with 303s.
  const kinds = provider.lastResult.pages.map((pg) => pg.kind);
  assert.deepEqual(kinds, ['login', 'consent'], `pages seen: ${kinds} ${provider.lastResult.pages.map((pg) => pageText(pg.html).slice(0, 120)).join(' || ')}`);
  for (const post of provider.lastResult.posts) assert.equal(post.status, 303, `POST ${post.url} answered ${post.status}`);
  const cb = provider.callbacks[0];
  assert.equal(cb.searchParams.get('iss'), gate.issuer, 'RFC 9207 iss on the authorization response');
}

async function exerciseTools(client, scope) {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  assert.deepEqual(names, toolsForScope(scope), `tools/list for scope "${scope}"`);

  const eff = effectiveScopes(scope);
  if (eff.has('calendar:write')) {
    const title = `sdk-oauth ${Date.now()}`;
    const created = structured(await client.callTool({
      name: 'create_event',
      arguments: { title, start: '2031-05-06T10:00:00Z', end: '2031-05-06T10:30:00Z', attendees: ['bob@example.com'] },
    }), 'create_event');
    assert.equal(created.event.title, title);
    const listed = structured(await client.callTool({
      name: 'list_events', arguments: { from: '2031-05-06T09:00:00Z', to: '2031-05-06T12:00:00Z' },
    }), 'list_events');
    assert.ok(listed.events.some((e) => e.id === created.event.id), 'created event not listed');
  } else {
    assert.ok(eff.has('calendar:read'), `the SDK got scope "${scope}" without calendar:read`);
    const listed = structured(await client.callTool({
      name: 'list_events', arguments: { from: '2031-01-01T00:00:00Z', to: '2031-12-31T00:00:00Z' },
    }), 'list_events');
    assert.ok(Array.isArray(listed.events));
  }
  if (eff.has('mail:read')) {
    const found = structured(await client.callTool({ name: 'search_messages', arguments: { query: '' } }), 'search_messages');
    assert.ok(Array.isArray(found.messages));
  }
}

async function refreshAndCall(provider) {
  const before = provider.tokens();
  assert.ok(before?.refresh_token, `no refresh token issued: ${JSON.stringify(Object.keys(before ?? {}))}`);
  const info = await discoverOAuthServerInfo(gate.url);
  assert.equal(info.authorizationServerMetadata.issuer, gate.issuer);
  const fresh = await refreshAuthorization(info.authorizationServerUrl, {
    metadata: info.authorizationServerMetadata,
    clientInformation: provider.clientInformation(),
    refreshToken: before.refresh_token,
    resource: new URL(info.resourceMetadata.resource),
  });
  noteTokenResponse('SDK refresh', fresh);
  assert.ok(fresh.access_token, 'refresh returned no access token');
  assert.notEqual(fresh.access_token, before.access_token, 'refresh returned the same access token');
  assert.ok(fresh.refresh_token, 'refresh returned no new refresh token (public clients MUST rotate)');
  assert.notEqual(fresh.refresh_token, before.refresh_token, 'refresh token not rotated');
  assert.equal(decodeJwt(fresh.access_token).payload.aud?.toString(), gate.resource);
  provider.saveTokens({ ...fresh, issuer: before.issuer });

  // A new connection that uses the refreshed token (no further authorization).
  const urls = provider.authorizationUrls.length;
  const client = new Client({ name: 'mcpgate-e2e-oauth-sdk-refreshed', version: '1.0.0' });
  const log = [];
  await client.connect(new StreamableHTTPClientTransport(new URL(gate.url), { authProvider: provider, fetch: recordingFetch(log) }));
  const { tools } = await client.listTools();
  assert.ok(tools.length > 0);
  const res = await client.callTool({ name: 'list_events', arguments: { from: '2031-01-01T00:00:00Z', to: '2031-12-31T00:00:00Z' } });
  structured(res, 'list_events');
  assert.equal(provider.authorizationUrls.length, urls, 'the refreshed token should not need a new authorization');
  assert.ok(log.every((e) => e.status !== 401), `401 with the refreshed token: ${JSON.stringify(log)}`);
  await client.close();
}

describe('MCP TS SDK client, CIMD client id (document on loopback https)', { timeout: 90000 }, () => {
  let provider;
  let clientId;
  let client;
  const log = [];

  before(() => {
    clientId = docs.url('/oauth/sdk-client.json');
    provider = new HeadlessOAuthProvider({
      redirectUrl: 'http://127.0.0.1:53682/callback',
      clientMetadataUrl: clientId,
      clientName: 'E2E SDK CIMD client',
      expectedIssuer: gate.issuer,
    });
    docs.set('/oauth/sdk-client.json', cimdDocument(clientId, {
      client_name: 'E2E SDK CIMD client', redirect_uris: [provider.redirectUrl],
    }));
  });
  after(async () => { await client?.close(); });

  test('401 → PRM → AS metadata → CIMD → PKCE → login + consent → token → connected', async () => {
    ({ client } = await connectWithOAuth(provider, log));
    assertDiscoveryOrder(log, { dcr: false });
    assert.equal(provider.clientInformation()?.client_id, clientId, 'the SDK did not use the CIMD URL as client_id');
    assert.ok(docs.hits('/oauth/sdk-client.json') >= 1, 'the gate never fetched the CIMD document');
    assertAuthorizationRequest(provider, clientId);
    const consent = provider.lastResult.pages.find((p) => p.kind === 'consent');
    assert.ok(pageText(consent.html).includes('E2E SDK CIMD client'), 'consent page does not name the client');
  });

  test('the access token is an RFC 9068 JWT for this resource and this client', () => {
    const { header, payload } = decodeJwt(provider.tokens().access_token);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'at+jwt');
    assert.equal(payload.iss, gate.issuer);
    assert.equal(Array.isArray(payload.aud) ? payload.aud.join(' ') : payload.aud, gate.resource);
    assert.equal(payload.client_id, clientId);
    assert.ok(payload.sub, 'no sub');
    assert.ok(payload.exp - payload.iat <= 900, `lifetime ${payload.exp - payload.iat}s > 900s`);
  });

  test('tools/list and tools/call on the demo tools', async () => {
    await exerciseTools(client, provider.tokens().scope ?? decodeJwt(provider.tokens().access_token).payload.scope);
  });

  test('refreshAuthorization rotates the refresh token; a new connection works with the new token', async () => {
    await refreshAndCall(provider);
  });
});

describe('MCP TS SDK client, dynamic client registration', { timeout: 90000 }, () => {
  let provider;
  let client;
  const log = [];

  before(() => {
    provider = new HeadlessOAuthProvider({
      redirectUrl: 'http://127.0.0.1:53683/callback',
      clientName: 'E2E SDK DCR client',
      username: 'bob',
      expectedIssuer: gate.issuer,
    });
  });
  after(async () => { await client?.close(); });

  test('401 → PRM → AS metadata → DCR → PKCE → login + consent → token → connected', async () => {
    ({ client } = await connectWithOAuth(provider, log));
    assertDiscoveryOrder(log, { dcr: true });
    const info = provider.clientInformation();
    assert.ok(info?.client_id, 'no client_id saved after DCR');
    assert.ok(!info.client_id.startsWith('https://'), `DCR client_id must not look like a CIMD URL: ${info.client_id}`);
    assert.equal(info.client_secret, undefined, 'a public (none) client must not get a secret');
    assertAuthorizationRequest(provider, info.client_id);
    const consent = provider.lastResult.pages.find((p) => p.kind === 'consent');
    assert.ok(pageText(consent.html).includes('E2E SDK DCR client'), 'consent page does not name the client');
  });

  test('tools/list and tools/call on the demo tools', async () => {
    await exerciseTools(client, provider.tokens().scope ?? decodeJwt(provider.tokens().access_token).payload.scope);
  });

  test('refreshAuthorization rotates the refresh token; a new connection works with the new token', async () => {
    await refreshAndCall(provider);
  });
});
