// The web console (issue 9 item 3) in a real browser: Debian's Chromium driven by playwright-core
// against demo.yaml with `admin: {enabled: true}`. alice (admin) signs in through the gate's own
// login page, finds bob's agent, reads its blast radius, revokes its grant — and bob's agent, a
// real MCP SDK client, fails its next tool call. helen (helpdesk) sees revoke buttons but no
// deactivation and no call statistics; audrey (auditor) sees no button at all. A POST without
// the form's csrf token, or from another origin, is refused; the pages cannot be framed.
// Screenshots of every page go to build/test-artifacts/screenshots/console-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { API_TOKEN_ENV, demoYaml, policyApi, repoRoot } from './lib/demo_gate.mjs';
import { startServer } from './lib/mcpgate.mjs';
import { CHROMIUM, CHROMIUM_FLAGS, getTokens, USERS } from './lib/oauth.mjs';

const API_TOKEN = 'e2e-console-api-token-0123456789abcdef012345678';
const CLIENT = 'calendar-assistant';
const REDIRECT = 'http://127.0.0.1/callback';
const shots = path.join(repoRoot, 'build', 'test-artifacts', 'screenshots');
// A stdio upstream whose `greet` changes its definition when `mutate` is called (a rug pull).
const MUTABLE_UPSTREAM = path.join(repoRoot, 'tests/e2e/fixtures/mutable_stdio_upstream.mjs');
const PASSWORDS = { ...USERS, helen: 'helen-e2e-console-pass', audrey: 'audrey-e2e-console-pass' };

let gate;
let browser;
let stateDir; // the mutable upstream's state
let framer; // another origin that embeds the console
let framerOrigin;

function consoleYaml() {
  const text = demoYaml({ api: true });
  const bobLine = text.split('\n').find((l) => l.includes('username: bob'));
  assert.ok(bobLine, 'demo.yaml: bob moved');
  const indent = bobLine.match(/^\s*/)[0];
  const extra = ['helen', 'audrey'].map((u) => `${indent}- {username: ${u}, password: ${PASSWORDS[u]}, id: ${u}}`).join('\n');
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-console-'));
  const gateway = `gateway:
  refresh_interval_ms: 300
  upstreams:
    - name: shifty
      transport: stdio
      command: ${JSON.stringify(process.execPath)}
      args: [${JSON.stringify(MUTABLE_UPSTREAM)}]
      env: { MUTABLE_STATE_FILE: ${JSON.stringify(path.join(stateDir, 'mutated'))} }
`;
  return `${text.replace(bobLine, `${bobLine}\n${extra}`).replace(/\n*$/, '\n')}admin:\n  enabled: true\n${gateway}`;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found; install Debian's chromium (scripts/install-deps)`);
  mkdirSync(shots, { recursive: true });
  const srv = await startServer(consoleYaml(), { env: { [API_TOKEN_ENV]: API_TOKEN } });
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp` });
  // helen is helpdesk and audrey auditor of the default organization.
  const api = policyApi(gate, API_TOKEN);
  const stores = await api('GET', '/stores');
  assert.equal(stores.status, 200, stores.body);
  const storeId = stores.json.stores[0].id; // the default organization's store comes first
  const w = await api('POST', `/stores/${storeId}/write`, {
    writes: { tuple_keys: [
      { user: 'user:helen', relation: 'helpdesk', object: 'organization:default' },
      { user: 'user:audrey', relation: 'auditor', object: 'organization:default' },
      // alice may use the rug-pull upstream's tools through the calendar assistant.
      { user: 'user:alice', relation: 'invoker', object: 'tool:shifty/greet' },
      { user: 'user:alice', relation: 'invoker', object: 'tool:shifty/mutate' },
      { user: 'client:calendar-assistant', relation: 'agent', object: 'tool:shifty/greet' },
      { user: 'client:calendar-assistant', relation: 'agent', object: 'tool:shifty/mutate' },
    ] },
  });
  assert.equal(w.status, 200, w.body);
  framer = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>framing</title><iframe id="victim" src="${base}/admin/console" width="800" height="600"></iframe>`);
  });
  await new Promise((r) => framer.listen(0, '127.0.0.1', r));
  framerOrigin = `http://127.0.0.1:${framer.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
});

after(async () => {
  await browser?.close().catch(() => {});
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  await new Promise((r) => (framer ? framer.close(() => r()) : r()));
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

// A fresh browser context signed in as `user` through the gate's login page; returns its page.
async function signIn(user) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const first = await page.goto(`${gate.base}/admin/console`, { waitUntil: 'load' });
  assert.equal(first.status(), 200);
  assert.match(new URL(page.url()).pathname, /\/login$/, `not sent to the login page: ${page.url()}`);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', PASSWORDS[user]);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/admin/console', { timeout: 15000 }),
    page.locator('form:has(input[name="password"]) [type="submit"], form:has(input[name="password"]) button:not([type])').first().click(),
  ]);
  assert.equal(await page.locator('#viewer').innerText(), user);
  return page;
}

async function sdkClient(token) {
  const client = new Client({ name: 'mcpgate-e2e-console-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gate.base}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  return client;
}

function assertNoFraming(headers, what) {
  assert.equal((headers['x-frame-options'] ?? '').toUpperCase(), 'DENY', `${what}: X-Frame-Options`);
  assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, `${what}: CSP`);
}

describe('the web console', { timeout: 120000 }, () => {
  let alice;
  let agent; // bob's agent: the calendar assistant, a real SDK client

  before(async () => {
    const tokens = await getTokens(gate, { client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'bob' });
    agent = await sdkClient(tokens.access_token);
    // Some traffic for the overview: one allowed call, one denied by the argument rule.
    const ok = await agent.callTool({ name: 'list_events', arguments: { max_results: 5 } });
    assert.notEqual(ok.isError, true, JSON.stringify(ok));
    await assert.rejects(agent.callTool({ name: 'list_events', arguments: { max_results: 500 } }));
  });

  test('alice signs in through the login page and sees the overview with charts', async () => {
    alice = await signIn('alice');
    // The audit log writes in batches: reload until the two calls are counted.
    let calls = 0;
    for (let i = 0; i < 20 && calls < 2; i += 1) {
      await alice.goto(`${gate.base}/admin/console`);
      calls = Number(await alice.locator('#total-calls').innerText());
      if (calls < 2) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(calls, 2);
    assert.equal(Number(await alice.locator('#total-denied').innerText()), 1);
    assert.ok(await alice.locator('svg.chart polyline').count() >= 3);
    assert.ok((await alice.locator('#per-tool').innerText()).includes('calendar/list_events'));
    await alice.screenshot({ path: path.join(shots, 'console-overview.png'), fullPage: true });
  });

  test("alice finds bob's agent and its blast radius", async () => {
    await alice.click('#nav-users');
    await alice.screenshot({ path: path.join(shots, 'console-users.png'), fullPage: true });
    await Promise.all([alice.waitForURL(/\/admin\/console\/users\/bob$/), alice.click('tr.user[data-user="bob"] a')]);
    const grant = alice.locator(`tr.grant[data-client="${CLIENT}"]`);
    assert.equal(await grant.count(), 1);
    assert.equal(await alice.locator('button[name="deactivate"]').count(), 1);
    await alice.screenshot({ path: path.join(shots, 'console-user.png'), fullPage: true });
    await Promise.all([alice.waitForURL(/\/admin\/console\/access\?/), grant.locator('a.access').click()]);
    const verdict = async (tool) => alice.locator(`tr.tool[data-tool="tool:${tool}"]`).getAttribute('data-verdict');
    assert.equal(await verdict('calendar/get_availability'), 'allow');
    assert.equal(await verdict('calendar/list_events'), 'conditional'); // the max_results rule
    assert.equal(await verdict('calendar/delete_event'), 'deny');
    assert.equal(await verdict('mail/search_messages'), 'deny'); // the assistant is scoped to two tools
    assert.ok((await alice.locator('tr.tool[data-tool="tool:calendar/list_events"]').innerText()).includes('arg_max_results'));
    assert.equal(await alice.locator('#n-allowed').innerText(), '1');
    await alice.screenshot({ path: path.join(shots, 'console-access.png'), fullPage: true });
  });

  test("revoking the agent's grant in the console fails its next MCP tool call", async () => {
    const before = await agent.callTool({ name: 'get_availability', arguments: { date: '2026-12-01' } }).catch((e) => e);
    assert.ok(!(before instanceof Error), String(before));
    await alice.goto(`${gate.base}/admin/console/users/bob`);
    const [nav] = await Promise.all([
      alice.waitForNavigation(),
      alice.locator(`tr.grant[data-client="${CLIENT}"] button[name="revoke"]`).click(),
    ]);
    assert.equal(nav?.status(), 200); // the 303 landed back on bob's page
    assert.match(alice.url(), /\/admin\/console\/users\/bob$/);
    assert.equal(await alice.locator('#grants').count(), 1);
    assert.equal(await alice.locator(`tr.grant[data-client="${CLIENT}"]`).count(), 0);
    await assert.rejects(agent.callTool({ name: 'get_availability', arguments: { date: '2026-12-01' } }), /401|nauthorized|invalid_token/);
  });

  test('the sessions page lists live sessions and revokes one', async () => {
    const tokens = await getTokens(gate, { client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'bob' });
    const again = await sdkClient(tokens.access_token);
    await again.callTool({ name: 'get_availability', arguments: { date: '2026-12-01' } });
    await alice.goto(`${gate.base}/admin/console/sessions?user_id=bob`);
    const row = alice.locator(`tr.session[data-user="bob"][data-client="${CLIENT}"]`);
    assert.equal(await row.count(), 1);
    await alice.screenshot({ path: path.join(shots, 'console-sessions.png'), fullPage: true });
    await Promise.all([alice.waitForNavigation(), row.locator('button[name="revoke"]').click()]);
    assert.equal(await alice.locator(`tr.session[data-user="bob"]`).count(), 0);
    await assert.rejects(again.callTool({ name: 'get_availability', arguments: { date: '2026-12-01' } }), /401|nauthorized|invalid_token/);
  });

  test('the audit log page filters records and shows the chain verified', async () => {
    await alice.goto(`${gate.base}/admin/console/audit`);
    await alice.fill('#audit-filter input[name="user_id"]', 'bob');
    await alice.selectOption('#audit-filter select[name="decision"]', 'deny');
    await Promise.all([alice.waitForNavigation(), alice.click('#audit-filter button')]);
    const rows = alice.locator('tr.record');
    assert.ok(await rows.count() >= 1, 'no denied record of bob');
    assert.ok((await rows.first().innerText()).includes('list_events'));
    assert.equal(await alice.locator('#chain-ok').count(), 1);
    await alice.screenshot({ path: path.join(shots, 'console-audit.png'), fullPage: true });
  });

  test('a changed tool is withheld until approved in the console', async () => {
    const tokens = await getTokens(gate, { client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'alice' });
    const mine = await sdkClient(tokens.access_token);
    const names = async () => (await mine.listTools()).tools.map((x) => x.name);
    assert.ok((await names()).includes('shifty__greet'), (await names()).join(', '));
    const mutated = await mine.callTool({ name: 'shifty__mutate', arguments: {} });
    assert.notEqual(mutated.isError, true, JSON.stringify(mutated));
    const pending = alice.locator('tr.pin[data-tool="shifty/greet"][data-pending="yes"]');
    for (let i = 0; i < 40 && (await pending.count()) === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 250));
      await alice.goto(`${gate.base}/admin/console/tools`);
    }
    assert.equal(await pending.count(), 1, 'the changed definition is not pending');
    assert.ok(!(await names()).includes('shifty__greet'), 'the changed tool is still offered');
    assert.ok((await pending.innerText()).includes('description'));
    await alice.screenshot({ path: path.join(shots, 'console-tools.png'), fullPage: true });
    await Promise.all([alice.waitForNavigation(), pending.locator('button[name="approve"]').click()]);
    assert.match(alice.url(), /\/admin\/console\/tools$/);
    assert.equal(await alice.locator('tr.pin[data-tool="shifty/greet"][data-pending="no"]').count(), 1);
    let back = false;
    for (let i = 0; i < 40 && !back; i += 1) {
      back = (await names()).includes('shifty__greet');
      if (!back) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(back, 'the approved tool is not offered again');
    const hi = await mine.callTool({ name: 'shifty__greet', arguments: { name: 'ann' } });
    assert.notEqual(hi.isError, true, JSON.stringify(hi));
    await mine.close();
  });

  // demo.yaml configures no connector: this checks the page is served with both tables and says
  // so; rows with hostile values are rendered in console/pages_test.cpp, and the operations'
  // data with real connections in admin_api_test.cpp.
  test('the connectors page is served with its connectors and connections tables, empty on demo.yaml', async () => {
    const r = await alice.goto(`${gate.base}/admin/console/connectors`);
    assert.equal(r.status(), 200);
    assert.equal(await alice.locator('#connectors').count(), 1);
    assert.equal(await alice.locator('#connections').count(), 1);
    assert.equal(await alice.locator('tr.connector').count(), 0);
    assert.match(await alice.locator('#connections').innerText(), /No connections/);
    await alice.screenshot({ path: path.join(shots, 'console-connectors.png'), fullPage: true });
  });

  test('the clients page lists the registrations', async () => {
    await alice.click('#nav-clients');
    assert.equal(await alice.locator(`tr.client[data-client="${CLIENT}"]`).count(), 1);
    await alice.screenshot({ path: path.join(shots, 'console-clients.png'), fullPage: true });
  });

  test('a POST without the csrf token, or from another origin, is refused', async () => {
    const url = `${gate.base}/admin/console/users/bob/deactivate`;
    const none = await alice.request.post(url, { form: { reason: 'x' }, maxRedirects: 0 });
    assert.equal(none.status(), 403);
    const wrong = await alice.request.post(url, { form: { csrf: 'forged' }, maxRedirects: 0 });
    assert.equal(wrong.status(), 403);
    // The right token from another origin.
    await alice.goto(`${gate.base}/admin/console/users/bob`);
    const csrf = await alice.locator('button[name="deactivate"]').locator('xpath=..').locator('input[name="csrf"]').getAttribute('value');
    const cross = await alice.request.post(url, { form: { csrf }, headers: { origin: framerOrigin }, maxRedirects: 0 });
    assert.equal(cross.status(), 403);
    // Without a session at all: 401, and bob is still active.
    const anon = await fetch(url, { method: 'POST', body: `csrf=${encodeURIComponent(csrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    assert.equal(anon.status, 401);
    await alice.reload();
    assert.equal(await alice.locator('button[name="deactivate"]').count(), 1, 'bob was deactivated by a refused POST');
  });

  test('the console cannot be framed', async () => {
    const r = await alice.goto(`${gate.base}/admin/console/users`);
    assertNoFraming(r.headers(), 'users page');
    const framing = await alice.context().newPage();
    await framing.goto(`${framerOrigin}/`, { waitUntil: 'load' });
    await new Promise((res) => setTimeout(res, 500));
    const frame = framing.frames().find((f) => f !== framing.mainFrame());
    const text = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
    assert.ok(!text.includes('Signed in as'), 'the console rendered inside a frame');
    await framing.close();
  });

  test('helen (helpdesk) may revoke but not deactivate, and sees no call statistics', async () => {
    // alice connects the calendar assistant too, so her page has a grant to revoke.
    await getTokens(gate, { client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'alice' });
    const helen = await signIn('helen');
    assert.equal(await helen.locator('#no-stats').count(), 1);
    await helen.goto(`${gate.base}/admin/console/users/alice`);
    assert.equal(await helen.locator('button[name="deactivate"]').count(), 0);
    assert.ok(await helen.locator('button[name="revoke"]').count() >= 1, 'no revoke button for alice\'s grant');
    await helen.screenshot({ path: path.join(shots, 'console-helpdesk.png'), fullPage: true });
    // The action itself is refused too, not only hidden.
    const csrf = await helen.locator('input[name="csrf"]').first().getAttribute('value');
    const r = await helen.request.post(`${gate.base}/admin/console/users/bob/deactivate`, { form: { csrf }, maxRedirects: 0 });
    assert.equal(r.status(), 403);
    await helen.context().close();
  });

  test('audrey (auditor) sees the statistics and no button at all', async () => {
    const audrey = await signIn('audrey');
    assert.equal(await audrey.locator('#total-calls').count(), 1);
    const pages = ['/users/alice', '/users/bob', '/clients', '/users', '/tools', '/connectors', '/sessions'];
    for (const p of pages) {
      await audrey.goto(`${gate.base}/admin/console${p}`);
      assert.equal(await audrey.locator('form[method="post"]').count(), 0, `a form on ${p}`);
    }
    await audrey.context().close();
  });
});
