// Connectors end to end (issue 6 item 3): the fake SaaS provider behind a connector definition.
// A user signs in to the gate and connects their fake-SaaS account in Chromium (gate login →
// provider consent → success page); an MCP client calls a connector tool and gets the user's
// data from the fake API; a user who has not connected gets the connect link; disconnecting on
// the /connections page revokes the tokens at the provider and deletes the connection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { freePort, startServer } from './lib/mcpgate.mjs';
import {
  authGateConfig, CHROMIUM, CHROMIUM_FLAGS, initSessionWithToken, mcpAccessToken, rpc, USERS,
} from './lib/oauth.mjs';
import { consentInBrowser, startFakeSaas } from './lib/fake_saas.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

let saas;
let gate;
let base;
let context;
let profileDir;

async function mcpToken(username) {
  return mcpAccessToken(base, gate.port, username);
}

async function callTool(token, name, args = {}) {
  const g = { base, port: gate.port };
  const sid = await initSessionWithToken(g, token);
  const r = await rpc(g, token, sid, 'tools/call', { name, arguments: args });
  assert.equal(r.status, 200, r.body);
  return r.msg;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  saas = await startFakeSaas({ redirectUris: [`${base}/connect/callback`] });
  const definition = readFileSync(path.join(here, 'fixtures', 'fake-saas-connector.yaml'), 'utf8')
    .replaceAll('FAKE_SAAS_ORIGIN', saas.issuer);
  const yaml = (p) => `${authGateConfig(p)}connectors:
  - file: fakesaas.yaml
    client_id: ${saas.clientId}
    client_secret_env: E2E_FAKE_SAAS_SECRET
    resource: ${saas.apiBase}
`;
  gate = await startServer(yaml, {
    port,
    files: { 'fakesaas.yaml': definition },
    env: {
      E2E_FAKE_SAAS_SECRET: saas.clientSecret,
      MCPGATE_VAULT_MASTER_KEY: crypto.randomBytes(32).toString('base64url'),
    },
  });
  profileDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS,
  });
});

after(async () => {
  await context?.close().catch(() => {});
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
  await saas?.stop?.();
});

describe('connect, call, disconnect', { timeout: 60000 }, () => {
  let alice;
  let page;

  test('a user who has not connected gets the connect link', async () => {
    alice = await mcpToken('alice');
    const msg = await callTool(alice, 'fakesaas_get_me');
    assert.equal(msg.result?.isError, true, JSON.stringify(msg));
    assert.match(msg.result.content[0].text, new RegExp(`${base}/connect/fakesaas`));
  });

  test('connecting in the browser: gate login, provider consent, success page', async () => {
    page = await context.newPage();
    await page.goto(`${base}/connect/fakesaas`);
    await page.locator('input[name="username"]').waitFor({ timeout: 10000 });
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', USERS.alice);
    await page.locator('form:has(input[name="password"]) [type="submit"], form:has(input[name="password"]) button:not([type])').first().click();
    const back = await consentInBrowser(page, { user: 'alice' });
    assert.ok(back.startsWith(`${base}/connect/callback?`), back);
    await page.waitForLoadState('load');
    assert.equal(await page.locator('h1').innerText(), 'Connected');
    // The gate never shows the code or tokens to the user or puts them in its log.
    const tokens = await saas.tokens('alice');
    const logs = gate.logs();
    for (const t of JSON.stringify(tokens).match(/fs(at|rt|ac)_[A-Za-z0-9_-]+/g) ?? []) {
      assert.ok(!logs.includes(t), 'a provider token appears in the gate log');
    }
  });

  test('the connector tool returns the user\'s data from the fake API', async () => {
    const msg = await callTool(alice, 'fakesaas_get_me');
    assert.notEqual(msg.result?.isError, true, JSON.stringify(msg));
    assert.equal(msg.result.structuredContent.login, 'alice', JSON.stringify(msg.result));
    const items = await callTool(alice, 'fakesaas_list_items', { limit: 5 });
    assert.notEqual(items.result?.isError, true, JSON.stringify(items));
  });

  test('an access token the provider expired is refreshed transparently', async () => {
    const before = (await saas.stats()).refreshes.alice ?? 0;
    await saas.expireTokens('alice');
    const msg = await callTool(alice, 'fakesaas_get_me');
    assert.notEqual(msg.result?.isError, true, JSON.stringify(msg));
    assert.equal(msg.result.structuredContent.login, 'alice');
    assert.equal((await saas.stats()).refreshes.alice, before + 1);
  });

  test('50 concurrent calls when the token expires cause exactly one refresh', async () => {
    const g = { base, port: gate.port };
    const sid = await initSessionWithToken(g, alice);
    const before = (await saas.stats()).refreshes.alice ?? 0;
    await saas.expireTokens('alice');
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => rpc(
      g, alice, sid, 'tools/call', { name: 'fakesaas_get_me', arguments: {} }, 100 + i)));
    for (const r of replies) {
      assert.equal(r.status, 200, r.body);
      assert.notEqual(r.msg?.result?.isError, true, JSON.stringify(r.msg));
    }
    const stats = await saas.stats();
    assert.equal(stats.refreshes.alice, before + 1, JSON.stringify(stats.refreshes));
    assert.equal(stats.reuseDetected ?? 0, 0);
  });

  test('the gate\'s database holds no provider token in clear', async () => {
    const tokens = JSON.stringify(await saas.tokens('alice')).match(/fs(at|rt)_[A-Za-z0-9_-]+/g) ?? [];
    assert.ok(tokens.length > 0);
    const files = readdirSync(path.join(gate.dir, 'data'), { recursive: true })
      .map((f) => path.join(gate.dir, 'data', f)).filter((f) => statSync(f).isFile());
    assert.ok(files.some((f) => f.endsWith('.db')), files.join(' '));
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const t of tokens) assert.ok(!bytes.includes(t), `${t.slice(0, 5)}… in clear in ${path.basename(f)}`);
    }
  });

  test('a second user who has not connected gets the connect link, not alice\'s data', async () => {
    const bob = await mcpToken('bob');
    const msg = await callTool(bob, 'fakesaas_get_me');
    assert.equal(msg.result?.isError, true, JSON.stringify(msg));
    assert.match(msg.result.content[0].text, /\/connect\/fakesaas/);
  });

  test('the connections page lists the connection; disconnect revokes at the provider', async () => {
    await page.goto(`${base}/connections`);
    const row = page.locator('tr.connection[data-connector="fakesaas"]');
    await row.waitFor({ timeout: 10000 });
    assert.match(await row.innerText(), /connected/);
    const before = (await saas.stats()).revocations;
    await row.locator('button[type="submit"]').click();
    await page.locator('#none').waitFor({ timeout: 10000 });
    const afterStats = (await saas.stats()).revocations;
    assert.ok(afterStats.refresh_token > before.refresh_token, JSON.stringify(afterStats));
    const msg = await callTool(alice, 'fakesaas_get_me');
    assert.equal(msg.result?.isError, true, JSON.stringify(msg));
    assert.match(msg.result.content[0].text, /\/connect\/fakesaas/);
  });

  test('a forged disconnect (no CSRF token) is refused', async () => {
    const r = await page.request.post(`${base}/connections/fakesaas/disconnect`, {
      form: { csrf: 'forged' }, maxRedirects: 0,
    });
    assert.equal(r.status(), 403);
  });
});
