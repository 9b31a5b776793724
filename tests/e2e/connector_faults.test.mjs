// Connector faults end to end (issue 6, "Done when"): one gate and one fake SaaS provider
// (tests/e2e/fixtures/fake_saas.mjs) for the whole file, MCP SDK clients calling connector tools.
//
//   - URL elicitation (MCP 2025-11-25): a client that declared `elicitation: {url: {}}` gets
//     JSON-RPC error -32042 naming <public_url>/connect/fakesaas when it has no usable
//     connection (none, or one needing consent again); other clients get the tool error;
//   - a 429 + Retry-After on a GET tool is retried after the Retry-After delay;
//   - a POST (not idempotent) that timed out at the gate is not sent again;
//   - two users calling at once: each call uses its caller's own provider token;
//   - invalid_grant on refresh: the reconnect message, and /connections shows the connection as
//     needing reconnecting;
//   - `mcpgate vault rotate-key` (a new master key version, then --new-data-key) against the
//     live gate's configuration and database: every connection keeps working, also after a
//     restart with only the new master key.
//
// Users connect without a browser (the gate's login form and the fake's consent form answered
// over HTTP); connectors.test.mjs covers the Chromium flow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';

import { BIN, freePort, startServer } from './lib/mcpgate.mjs';
import {
  authGateConfig, decodeEntities, driveAuthorization, mcpAccessToken, UserAgent,
} from './lib/oauth.mjs';
import { startFakeSaas } from './lib/fake_saas.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT_MS = 1000;  // the connector's per-request timeout (connectors[].timeout_ms)
const KEY1 = crypto.randomBytes(32).toString('base64url');
const KEY2 = crypto.randomBytes(32).toString('base64url');

let saas;
let gate;
let port;
let base;
let definition;
const tokens = {};   // gate access tokens by user
const agents = {};   // signed-in UserAgents by user (for /connections)

// The gate's configuration; `vault` lists the master key versions it loads ([1] at first).
function gateYaml(vault = { keys: [1] }) {
  const keys = vault.keys.map((v) => `    - {version: ${v}, env: E2E_VAULT_KEY_${v}}`).join('\n');
  const active = vault.active === undefined ? '' : `  active_master_key: ${vault.active}\n`;
  return (p) => `${authGateConfig(p, { logLevel: 'info' })}vault:
  master_keys:
${keys}
${active}connectors:
  - file: fakesaas.yaml
    client_id: ${saas.clientId}
    client_secret_env: E2E_FAKE_SAAS_SECRET
    resource: ${saas.apiBase}
    timeout_ms: ${TIMEOUT_MS}
`;
}

const gateEnv = () => ({
  E2E_FAKE_SAAS_SECRET: saas.clientSecret, E2E_VAULT_KEY_1: KEY1, E2E_VAULT_KEY_2: KEY2,
});

async function startGate(vault, dir) {
  return startServer(gateYaml(vault), {
    port, dir, files: { 'fakesaas.yaml': definition }, env: gateEnv(),
  });
}

async function mcpToken(username) {
  return mcpAccessToken(base, port, username);
}

// An MCP SDK client for `user`; `urlElicitation` declares the 2025-11-25 URL mode.
async function sdkClient(user, { urlElicitation = false } = {}) {
  const client = new Client({ name: 'mcpgate-e2e-connector-faults', version: '1.0.0' },
    { capabilities: urlElicitation ? { elicitation: { url: {} } } : {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${tokens[user]}` } },
  }));
  return client;
}

async function call(user, name, args = {}, opts = {}) {
  const client = await sdkClient(user, opts);
  try {
    return await client.callTool({ name, arguments: args });
  } finally {
    await client.close();
  }
}

// Connects `user`'s fake-SaaS account without a browser: the gate's login form, then the fake's
// consent form, then the gate's callback. Returns the signed-in user agent.
async function connectAccount(user) {
  const ua = agents[user] ?? new UserAgent();
  const got = await driveAuthorization(`${base}/connect/fakesaas`, { ua, username: user });
  // After the sign-in the gate hands over with a page (meta refresh + a#continue), not a 302.
  const onward = got.callback?.href
    ?? decodeEntities(/<a id="continue" href="([^"]+)"/.exec(got.final?.html ?? '')?.[1] ?? '');
  assert.ok(onward, `the connect page did not send ${user} to the provider: ${got.final?.html}`);
  assert.equal(new URL(onward).origin, saas.issuer);
  const back = await saas.consent(onward, { user });
  assert.ok(back instanceof URL, JSON.stringify(back));
  assert.equal(`${back.origin}${back.pathname}`, `${base}/connect/callback`);
  const done = await ua.fetch(back.href);
  const html = await done.text();
  assert.equal(done.status, 200, html);
  assert.match(html, /<h1[^>]*>\s*Connected\s*<\/h1>/);
  agents[user] = ua;
  return ua;
}

async function connections(user) {
  const r = await agents[user].fetch(`${base}/connections`, { headers: { accept: 'application/json' } });
  assert.equal(r.status, 200);
  return (await r.json()).connections;
}

const apiCount = (stats, route) => stats.api[route] ?? 0;

function textOf(result) {
  return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function expectLogin(user) {
  const r = await call(user, 'fakesaas_get_me');
  assert.notEqual(r.isError, true, textOf(r));
  assert.equal(r.structuredContent.login, user, JSON.stringify(r.structuredContent));
}

function runCli(args, env) {
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 60000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code ?? 1 : 0, stdout, stderr });
    });
  });
}

before(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  saas = await startFakeSaas({ redirectUris: [`${base}/connect/callback`] });
  definition = readFileSync(path.join(here, 'fixtures', 'fake-saas-connector.yaml'), 'utf8')
    .replaceAll('FAKE_SAAS_ORIGIN', saas.issuer);
  gate = await startGate({ keys: [1] });
  tokens.alice = await mcpToken('alice');
  tokens.bob = await mcpToken('bob');
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
  await saas?.stop?.();
});

describe('connector faults', { timeout: 90000 }, () => {
  test('no connection: -32042 URL elicitation for clients with elicitation.url, a tool error for others', async () => {
    const client = await sdkClient('alice', { urlElicitation: true });
    let caught;
    try {
      await client.callTool({ name: 'fakesaas_get_me', arguments: {} });
    } catch (e) {
      caught = e;
    } finally {
      await client.close();
    }
    assert.ok(caught instanceof UrlElicitationRequiredError, String(caught));
    assert.equal(caught.code, ErrorCode.UrlElicitationRequired);
    assert.equal(caught.code, -32042);
    assert.equal(caught.elicitations.length, 1);
    const [e] = caught.elicitations;
    assert.equal(e.mode, 'url');
    assert.equal(e.url, `${base}/connect/fakesaas`);
    assert.match(e.elicitationId, /^[A-Za-z0-9_-]{16,}$/);
    assert.match(e.message, /Connect your Fake SaaS account/);
    // The same call from a client without URL mode: today's tool error with the link.
    const plain = await call('alice', 'fakesaas_get_me');
    assert.equal(plain.isError, true);
    assert.ok(textOf(plain).includes(`${base}/connect/fakesaas`), textOf(plain));
  });

  test('alice and bob connect their accounts', async () => {
    await connectAccount('alice');
    await connectAccount('bob');
    await expectLogin('alice');
    await expectLogin('bob');
  });

  test('a 429 with Retry-After on a GET tool is retried after the delay and succeeds', async () => {
    const route = 'GET /api/me';
    const before = apiCount(await saas.stats(), route);
    await saas.inject({ path: '/api/me', method: 'GET', status: 429, retryAfter: 1, times: 1 });
    const client = await sdkClient('alice');
    const started = Date.now();
    const r = await client.callTool({ name: 'fakesaas_get_me', arguments: {} });
    const elapsed = Date.now() - started;
    await client.close();
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal(r.structuredContent.login, 'alice');
    assert.equal(apiCount(await saas.stats(), route), before + 2, 'the 429, then the retry');
    assert.ok(elapsed >= 1000, `answered after ${elapsed} ms: the retry did not wait for Retry-After: 1`);
    assert.equal((await saas.injections()).rules?.length ?? 0, 0);
  });

  test('a POST that timed out at the gate is not sent again; the result is a tool error', async () => {
    const route = 'POST /api/items';
    const stats0 = await saas.stats();
    const before = apiCount(stats0, route);
    const delayMs = TIMEOUT_MS + 1500;
    // The fake creates the item, then holds the answer past the gate's timeout.
    await saas.inject({ path: '/api/items', method: 'POST', delayResponseMs: delayMs, times: 1 });
    const client = await sdkClient('alice');
    const started = Date.now();
    const r = await client.callTool({ name: 'fakesaas_create_item', arguments: { title: 'only once' } });
    const elapsed = Date.now() - started;
    await client.close();
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.match(textOf(r), /timed out/);
    assert.ok(elapsed >= TIMEOUT_MS && elapsed < delayMs, `answered after ${elapsed} ms`);
    // Wait until the fake has answered the held request, so a late repeat would have arrived.
    await new Promise((res) => setTimeout(res, delayMs - elapsed + 300));
    const stats = await saas.stats();
    assert.equal(apiCount(stats, route), before + 1, 'the POST was sent again');
    assert.equal(stats.postsExecuted, stats0.postsExecuted + 1);
    const items = (await saas.items()).alice.filter((i) => i.title === 'only once');
    assert.equal(items.length, 1);
  });

  test('alice and bob calling at once: each call uses its caller\'s own provider token', async () => {
    const s0 = await saas.stats();
    const n = 12;
    const calls = [];
    for (let i = 0; i < n; i++) {
      for (const user of ['alice', 'bob']) {
        calls.push(call(user, 'fakesaas_get_me').then((r) => ({ user, r })));
      }
    }
    for (const { user, r } of await Promise.all(calls)) {
      assert.notEqual(r.isError, true, textOf(r));
      assert.equal(r.structuredContent.login, user, `${user}'s call ran as ${r.structuredContent.login}`);
    }
    // The provider attributes each request to the owner of the token it carried.
    const s1 = await saas.stats();
    for (const user of ['alice', 'bob']) {
      const was = s0.apiByUser[user]?.['GET /api/me'] ?? 0;
      assert.equal(s1.apiByUser[user]['GET /api/me'], was + n, JSON.stringify(s1.apiByUser));
    }
  });

  test('invalid_grant on refresh: the reconnect message, -32042, and /connections shows it', async () => {
    await saas.invalidGrant({ user: 'bob' });
    await saas.expireTokens('bob');
    const r = await call('bob', 'fakesaas_get_me');
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.ok(textOf(r).includes(`${base}/connect/fakesaas`), textOf(r));
    assert.match(textOf(r), /sign in again/);
    const listed = await connections('bob');
    assert.deepEqual(listed.map((c) => [c.connector, c.status]), [['fakesaas', 'needs reconnecting']]);
    // A client with URL mode gets the elicitation for the same link.
    const client = await sdkClient('bob', { urlElicitation: true });
    await assert.rejects(client.callTool({ name: 'fakesaas_get_me', arguments: {} }), (e) => {
      assert.ok(e instanceof UrlElicitationRequiredError, String(e));
      assert.equal(e.elicitations[0].url, `${base}/connect/fakesaas`);
      assert.match(e.elicitations[0].message, /sign in again/);
      return true;
    });
    await client.close();
    // alice is not affected; bob is back after connecting again.
    await expectLogin('alice');
    await connectAccount('bob');
    await expectLogin('bob');
    assert.deepEqual((await connections('bob')).map((c) => c.status), ['connected']);
  });

  test('vault rotate-key (new master key, then --new-data-key) keeps every connection working', async () => {
    const cli = (...args) => runCli([...args, '--config', path.join(gate.dir, 'config.yaml'),
      '--data', path.join(gate.dir, 'data')], gateEnv());
    // Master key 2 joins (active), as an operator would: restart with both keys.
    await gate.stop({ keep: true });
    gate = await startGate({ keys: [1, 2], active: 2 }, gate.dir);
    await expectLogin('alice');
    await expectLogin('bob');
    let status = await cli('vault', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /under master key 1/);
    // Re-wrap against the live gate's database, then a new data key.
    const rotated = await cli('vault', 'rotate-key');
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /re-wrapped 1 data keys/);
    await expectLogin('alice');
    await expectLogin('bob');
    const fresh = await cli('vault', 'rotate-key', '--new-data-key');
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /tenant default: data key 2 is active/);
    await expectLogin('alice');
    await expectLogin('bob');
    status = await cli('vault', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, /under master key 1/);
    // Restart with the new key only: every connection opens, refreshes and seals again.
    await gate.stop({ keep: true });
    gate = await startGate({ keys: [2] }, gate.dir);
    const refreshes = (await saas.stats()).refreshes;
    await expectLogin('alice');
    await expectLogin('bob');
    await saas.expireTokens();
    await expectLogin('alice');
    await expectLogin('bob');
    const after = (await saas.stats()).refreshes;
    for (const user of ['alice', 'bob']) {
      assert.equal(after[user], (refreshes[user] ?? 0) + 1, JSON.stringify(after));
    }
    // Each refresh sealed its connection under the new data key: nothing left on the old one.
    status = await cli('vault', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /data key 1 \(retired\) wrapped under master key 2, 0 connections/);
    assert.match(status.stdout, /data key 2 \(active\) wrapped under master key 2, 2 connections/);
  });
});
