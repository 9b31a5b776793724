// Upstream MCP servers that require OAuth (issue 6 item 4), end to end with a real upstream:
// a second mcpgate process (its own OAuth AS with RFC 9728 metadata, DCR, demo tools) behind a
// recording proxy, fronted by a gate with `auth: oauth` on that upstream.
//
//   front gate (127.0.0.1:F) --> recording proxy (localhost:P) --> upstream gate (127.0.0.1:U)
//
// The upstream's public URL is the proxy's, on `localhost` (another cookie host than the front
// gate's 127.0.0.1, as two real sites would be). The proxy records every request's
// Authorization header and the token grants, so the test sees exactly what left the front gate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UrlElicitationRequiredError } from '@modelcontextprotocol/sdk/types.js';

import { freePort, startServer } from './lib/mcpgate.mjs';
import {
  authGateConfig, CHROMIUM, CHROMIUM_FLAGS, decodeJwt, mcpAccessToken, USERS,
} from './lib/oauth.mjs';


let upstream;
let front;
let frontBase;
let proxyServers = [];
let proxyBase;
const seen = []; // {method, path, authorization, rpc (JSON-RPC method), grant, resource}
let context;
let profileDir;

function startProxy(port, target) {
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method, path: req.url, authorization: req.headers.authorization ?? '' };
      if (req.url === '/mcp' && req.method === 'POST') {
        try { entry.rpc = JSON.parse(body.toString('utf8')).method; } catch { /* not JSON */ }
      }
      if (req.url.startsWith('/token')) {
        const form = new URLSearchParams(body.toString('utf8'));
        entry.grant = form.get('grant_type');
        entry.resource = form.get('resource');
      }
      seen.push(entry);
      const out = http.request({
        host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers,
      }, (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      });
      out.on('error', () => { res.destroy(); });
      out.end(body);
    });
  };
  return Promise.all(['127.0.0.1', '::1'].map((host) => new Promise((resolve) => {
    const s = http.createServer(handler);
    s.on('error', () => resolve(null)); // no IPv6 here: localhost is 127.0.0.1 only
    s.listen(port, host, () => resolve(s));
  })));
}

async function frontToken(username) {
  return mcpAccessToken(frontBase, front.port, username);
}

async function sdkClient(token, { urlElicitation = false } = {}) {
  const client = new Client({ name: 'mcpgate-e2e-oauth-upstream', version: '1.0.0' },
    { capabilities: urlElicitation ? { elicitation: { url: {} } } : {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${frontBase}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  return client;
}

async function connectInBrowser(username) {
  const page = await context.newPage();
  const fill = async () => {
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', USERS[username]);
    await page.locator('form:has(input[name="password"]) [type="submit"]').first().click();
  };
  await page.goto(`${frontBase}/connect/up`);
  // The front gate's sign-in (this browser has no session there yet)...
  await page.locator('input[name="username"]').waitFor({ timeout: 10000 });
  await fill();
  // ...then the upstream's own sign-in and consent, on the upstream's origin.
  await page.waitForURL((u) => u.origin === proxyBase, { timeout: 10000 });
  await page.locator('input[name="username"]').waitFor({ timeout: 10000 });
  await fill();
  await page.locator('button[name="decision"][value="approve"]').waitFor({ timeout: 10000 });
  await page.click('button[name="decision"][value="approve"]');
  await page.waitForURL((u) => u.href.startsWith(`${frontBase}/connect/callback`), { timeout: 10000 });
  await page.waitForLoadState('load');
  const title = await page.locator('h1').innerText();
  const text = await page.locator('body').innerText();
  await page.close();
  return { title, text };
}

const toolText = (r) => (r.content ?? []).map((c) => c.text ?? '').join('\n');

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found`);
  const proxyPort = await freePort();
  proxyBase = `http://localhost:${proxyPort}`;
  // The upstream: a full mcpgate, demo tools, users with fixed subjects, short-lived tokens.
  upstream = await startServer((port) => authGateConfig(port, { ttl: { access: 61 } })
    .replace(`public_url: http://127.0.0.1:${port}`, `public_url: ${proxyBase}`)
    .replace(`issuer: http://127.0.0.1:${port}`, `issuer: ${proxyBase}`)
    .replace('{username: alice,', '{username: alice, id: up-alice,')
    .replace('{username: bob,', '{username: bob, id: up-bob,'));
  proxyServers = (await startProxy(proxyPort, upstream.port)).filter(Boolean);
  const port = await freePort();
  frontBase = `http://127.0.0.1:${port}`;
  front = await startServer((p) => `${authGateConfig(p)}gateway:
  upstreams:
    - name: up
      url: ${proxyBase}/mcp
      auth: oauth
      oauth: {allow_loopback_http: true}
`, { port, env: { MCPGATE_VAULT_MASTER_KEY: crypto.randomBytes(32).toString('base64url') } });
  profileDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS,
  });
});

after(async () => {
  await context?.close().catch(() => {});
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  for (const [name, srv] of [['front', front], ['upstream', upstream]]) {
    const exit = await srv?.stop();
    if ((exit && exit.code !== 0) || process.env.E2E_DUMP_LOGS) console.log(`${name} exit ${JSON.stringify(exit)}; log tail:\n${srv.logs().slice(-(Number(process.env.E2E_DUMP_LOGS) || 3000))}`);
  }
  for (const s of proxyServers) s.close();
});

describe('an upstream MCP server that requires OAuth', { timeout: 90000 }, () => {
  let aliceFront;
  let alice;

  test('discovery found the upstream AS and registered the gate (DCR: the gate is on http)', async () => {
    assert.match(front.logs(), /"upstream_oauth_ready"[^\n]*"registration":"dcr"/);
    assert.ok(seen.some((e) => e.path === '/register' && e.method === 'POST'));
  });

  test('a user without a connection gets the connect link', async () => {
    aliceFront = await frontToken('alice');
    alice = await sdkClient(aliceFront);
    const { tools } = await alice.listTools();
    assert.ok(tools.some((t) => t.name === 'up__connect'), tools.map((t) => t.name).join(' '));
    const r = await alice.callTool({ name: 'up__connect', arguments: {} });
    assert.match(toolText(r), new RegExp(`${frontBase}/connect/up`));
  });

  test('connecting: front gate sign-in, upstream sign-in and consent in Chromium', async () => {
    const { title, text } = await connectInBrowser('alice');
    assert.equal(title, 'Connected', text);
    // The grant went to the upstream's token endpoint with PKCE and the RFC 8707 resource.
    const grant = seen.find((e) => e.grant === 'authorization_code');
    assert.ok(grant, JSON.stringify(seen.map((e) => e.path)));
    assert.equal(grant.resource, `${proxyBase}/mcp`);
  });

  test('the upstream tools appear and a call runs as the user\'s upstream identity', async () => {
    let tools = [];
    for (let i = 0; i < 100 && !tools.some((t) => t.name === 'up__list_events'); i++) {
      tools = (await alice.listTools()).tools;
      if (!tools.some((t) => t.name === 'up__list_events')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tools.some((t) => t.name === 'up__list_events'), tools.map((t) => t.name).join(' '));
    const from = seen.length;
    const r = await alice.callTool({ name: 'up__list_events', arguments: {} });
    assert.notEqual(r.isError, true, toolText(r));
    const calls = seen.slice(from).filter((e) => e.rpc === 'tools/call');
    assert.ok(calls.length > 0);
    for (const c of calls) {
      const { payload } = decodeJwt(c.authorization.replace(/^Bearer /, ''));
      assert.equal(payload.iss, proxyBase);
      assert.equal(payload.sub, 'up-alice');
    }
  });

  test('the caller\'s front-gate token never reaches the upstream', () => {
    for (const e of seen) assert.ok(!e.authorization.includes(aliceFront), `${e.method} ${e.path}`);
    for (const e of seen.filter((x) => x.authorization)) {
      assert.equal(decodeJwt(e.authorization.replace(/^Bearer /, '')).payload.iss, proxyBase);
    }
  });

  test('expired upstream tokens are refreshed (with the resource) and calls keep working', async () => {
    // Tokens live 61 s; the refresh margin is at least 60 s: the next call refreshes first.
    await new Promise((r) => setTimeout(r, 1500));
    const r = await alice.callTool({ name: 'up__list_events', arguments: {} });
    assert.notEqual(r.isError, true, toolText(r));
    const refreshes = seen.filter((e) => e.grant === 'refresh_token');
    assert.ok(refreshes.length >= 1, JSON.stringify(seen.map((e) => e.grant ?? e.path)));
    for (const g of refreshes) assert.equal(g.resource, `${proxyBase}/mcp`);
    assert.doesNotMatch(upstream.logs(), /refresh_token_reuse|token_family_revoked/);
  });

  test('a second user is isolated: the link, then their own upstream identity', async () => {
    const bobFront = await frontToken('bob');
    const bob = await sdkClient(bobFront);
    const before = await bob.callTool({ name: 'up__list_events', arguments: {} });
    assert.equal(before.isError, true);
    assert.match(toolText(before), new RegExp(`${frontBase}/connect/up`));
    // A client that takes URL elicitation gets the link as -32042.
    const bobUrl = await sdkClient(bobFront, { urlElicitation: true });
    let caught;
    try {
      await bobUrl.callTool({ name: 'up__list_events', arguments: {} });
    } catch (e) {
      caught = e;
    }
    await bobUrl.close();
    assert.ok(caught instanceof UrlElicitationRequiredError, String(caught));
    assert.equal(caught.elicitations[0].url, `${frontBase}/connect/up`);
    await context.clearCookies(); // another person's browser
    const { title } = await connectInBrowser('bob');
    assert.equal(title, 'Connected');
    const from = seen.length;
    const r = await bob.callTool({ name: 'up__list_events', arguments: {} });
    assert.notEqual(r.isError, true, toolText(r));
    const subs = seen.slice(from).filter((e) => e.rpc === 'tools/call')
      .map((e) => decodeJwt(e.authorization.replace(/^Bearer /, '')).payload.sub);
    assert.ok(subs.length > 0 && subs.every((s) => s === 'up-bob'), subs.join(' '));
    for (const e of seen) assert.ok(!e.authorization.includes(bobFront));
    // Alice still runs as alice.
    const from2 = seen.length;
    await alice.callTool({ name: 'up__list_events', arguments: {} });
    const subs2 = seen.slice(from2).filter((e) => e.rpc === 'tools/call')
      .map((e) => decodeJwt(e.authorization.replace(/^Bearer /, '')).payload.sub);
    assert.ok(subs2.length > 0 && subs2.every((s) => s === 'up-alice'), subs2.join(' '));
    await bob.close();
    await alice.close();
  });
});
