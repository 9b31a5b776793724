// A real browser (Debian's Chromium driven by playwright-core, no browser download) through the
// gate's login and consent pages: the login page, the consent page naming the client, its
// redirect host and the scopes, the approval landing on the client's redirect URI with code,
// state and iss. Screenshots go to build/test-artifacts/screenshots/{login,consent}.png.
// Also ATTACKS row 14: the pages refuse to be framed (X-Frame-Options + frame-ancestors), and
// an iframe embedding of the login page is blocked by the browser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import {
  authorizeUrl, CHROMIUM, CHROMIUM_FLAGS, decodeJwt, exchangeCode, noteSecret, pkce, registerPublicClient, startAuthGate, USERS,
} from './lib/oauth.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(repoRoot, 'build', 'test-artifacts', 'screenshots');
const SCOPE = 'calendar:read mail:read';

let gate;
let cb;          // the client's loopback web server (redirect target and framing page)
let cbOrigin;
let client;
let context;
let profileDir;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found; install Debian's chromium (scripts/install-deps)`);
  mkdirSync(shots, { recursive: true });
  cb = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname === '/callback') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>callback</title><h1>Client callback</h1>');
    } else if (u.pathname === '/frame') {
      // An attacker page on another origin that embeds the gate's page.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      const src = u.searchParams.get('src').replace(/"/g, '&quot;');
      res.end(`<!doctype html><title>framing</title><iframe id="victim" src="${src}" width="800" height="600"></iframe>`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => cb.listen(0, '127.0.0.1', r));
  cbOrigin = `http://127.0.0.1:${cb.address().port}`;
  gate = await startAuthGate();
  client = await registerPublicClient(gate, [`${cbOrigin}/callback`], { client_name: 'Browser Test Client' });
  profileDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1000, height: 900 },
  });
});

after(async () => {
  await context?.close().catch(() => {});
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise((r) => (cb ? cb.close(() => r()) : r()));
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

function assertNoFraming(headers, what) {
  assert.equal((headers['x-frame-options'] ?? '').toUpperCase(), 'DENY', `${what}: X-Frame-Options`);
  assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, `${what}: CSP`);
}

describe('login and consent in Chromium', { timeout: 120000 }, () => {
  let page;
  let state;
  let verifier;
  const pageResponses = [];

  test('the authorize URL shows the login page (username, password, submit)', async () => {
    page = await context.newPage();
    page.on('response', (r) => {
      if (r.request().resourceType() === 'document') pageResponses.push({ url: r.url(), status: r.status(), headers: r.headers() });
    });
    const p = await pkce();
    verifier = p.verifier;
    state = `browser-${Date.now()}`;
    const url = authorizeUrl(gate, {
      response_type: 'code', client_id: client.client_id, redirect_uri: `${cbOrigin}/callback`, scope: SCOPE, state,
      code_challenge: p.challenge, code_challenge_method: 'S256', resource: gate.resource,
    });
    const resp = await page.goto(String(url), { waitUntil: 'load' });
    await page.screenshot({ path: path.join(shots, 'login.png'), fullPage: true });
    assert.equal(resp.status(), 200, `login page status ${resp.status()} at ${page.url()}`);
    await page.locator('input[name="username"]').waitFor({ timeout: 10000 });
    assert.equal(await page.locator('input[name="password"]').getAttribute('type'), 'password');
    assert.equal(await page.locator('input[name="csrf"]').count(), 1, 'login form has no csrf field');
    assert.ok(await page.locator('button[type="submit"], input[type="submit"], form button:not([type])').count() > 0, 'no submit button');
    assertNoFraming(resp.headers(), 'login page');
  });

  test('logging in shows the consent page naming the client, its redirect host and the scopes', async () => {
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', USERS.alice);
    await Promise.all([
      page.waitForSelector('button[name="decision"][value="approve"]', { timeout: 15000 }),
      page.locator('form:has(input[name="password"]) [type="submit"], form:has(input[name="password"]) button:not([type])').first().click(),
    ]);
    await page.screenshot({ path: path.join(shots, 'consent.png'), fullPage: true });
    const consentDoc = pageResponses.at(-1);
    assert.ok(consentDoc, 'no document response for the consent page');
    const text = await page.locator('body').innerText();
    assert.ok(text.includes('Browser Test Client'), `consent page does not name the client: ${text.slice(0, 400)}`);
    assert.ok(text.includes('127.0.0.1'), 'consent page does not show the redirect host');
    for (const s of SCOPE.split(' ')) assert.ok(text.includes(s), `consent page does not list scope ${s}`);
    assert.equal(await page.locator('button[name="decision"][value="deny"]').count(), 1, 'no deny button');
    assertNoFraming(consentDoc.headers, 'consent page');
  });

  test('approving lands on the redirect URI with code, state and iss; the code redeems', async () => {
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(`${cbOrigin}/callback`), { timeout: 15000 }),
      page.click('button[name="decision"][value="approve"]'),
    ]);
    const u = new URL(page.url());
    const code = u.searchParams.get('code');
    noteSecret('authorization code (browser)', code);
    assert.ok(code, `no code in ${u}`);
    assert.equal(u.searchParams.get('state'), state);
    assert.equal(u.searchParams.get('iss'), gate.issuer);
    assert.equal(await page.locator('h1').innerText(), 'Client callback');
    const r = await exchangeCode(gate, { code, verifier }, { client_id: client.client_id, redirect_uri: `${cbOrigin}/callback` });
    assert.equal(r.status, 200, r.body);
    assert.equal(decodeJwt(r.json.access_token).payload.client_id, client.client_id);
  });

  test('attacks_014_login_page_cannot_be_framed: an iframe on another origin stays empty', async () => {
    await context.clearCookies();
    const framing = await context.newPage();
    const consoleLines = [];
    framing.on('console', (m) => consoleLines.push(m.text()));
    const p = await pkce();
    const victim = authorizeUrl(gate, {
      response_type: 'code', client_id: client.client_id, redirect_uri: `${cbOrigin}/callback`, scope: SCOPE,
      state: 'framed', code_challenge: p.challenge, code_challenge_method: 'S256', resource: gate.resource,
    });
    await framing.goto(`${cbOrigin}/frame?src=${encodeURIComponent(String(victim))}`, { waitUntil: 'load' });
    await framing.waitForTimeout(1000);
    const child = framing.frames().find((f) => f !== framing.mainFrame());
    assert.ok(child, 'no iframe');
    let inputs = 0;
    try {
      inputs = await child.locator('input[name="password"], input[name="username"]').count();
    } catch {
      inputs = 0; // a blocked frame may have no accessible document
    }
    assert.equal(inputs, 0, `the login form rendered inside a cross-origin iframe (frame URL ${child.url()}; console: ${consoleLines.join(' | ')})`);
    await framing.close();
  });
});
