// A connector whose tools come from an OpenAPI document (issue 6: "an OpenAPI document written
// for the tests — path, query and JSON-body parameters, a $ref — imports into tools that work
// against the fake API"). The definition (fixtures/fake-saas-openapi-connector.yaml) carries the
// fake provider's OAuth settings, one hand-written tool and `openapi:` naming
// tests/data/openapi/fake-saas.yaml. The user connects in Chromium; the MCP SDK client lists the
// imported tools (inputSchema with the $refs resolved) and calls them; the fake's echo route and
// its item store show exactly what the gate sent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { freePort, startServer } from './lib/mcpgate.mjs';
import {
  authGateConfig, CHROMIUM, CHROMIUM_FLAGS, mcpAccessToken, USERS,
} from './lib/oauth.mjs';
import { consentInBrowser, startFakeSaas } from './lib/fake_saas.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

let saas;
let gate;
let base;
let client;

async function mcpClient(username) {
  const token = await mcpAccessToken(base, gate.port, username);
  const c = new Client({ name: 'mcpgate-e2e-connectors-openapi', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  return c;
}

async function call(name, args) {
  const r = await client.callTool({ name, arguments: args });
  assert.notEqual(r.isError, true, JSON.stringify(r));
  return r;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  saas = await startFakeSaas({ redirectUris: [`${base}/connect/callback`] });
  const definition = readFileSync(path.join(here, 'fixtures', 'fake-saas-openapi-connector.yaml'), 'utf8')
    .replaceAll('FAKE_SAAS_ORIGIN', saas.issuer);
  const yaml = (p) => `${authGateConfig(p, { logLevel: 'info' })}connectors:
  - file: connectors/fakeapi.yaml
    client_id: ${saas.clientId}
    client_secret_env: E2E_FAKE_SAAS_SECRET
    resource: ${saas.apiBase}
`;
  gate = await startServer(yaml, {
    port,
    files: {
      'connectors/fakeapi.yaml': definition,
      // As written for the unit tests; `openapi.file` is relative to the definition.
      'connectors/fake-saas.openapi.yaml': readFileSync(path.join(repo, 'tests/data/openapi/fake-saas.yaml'), 'utf8'),
    },
    env: {
      E2E_FAKE_SAAS_SECRET: saas.clientSecret,
      MCPGATE_VAULT_MASTER_KEY: crypto.randomBytes(32).toString('base64url'),
    },
  });
  client = await mcpClient('alice');
});

after(async () => {
  await client?.close().catch(() => {});
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
  await saas?.stop?.();
});

describe('a connector imported from an OpenAPI document', { timeout: 60000 }, () => {
  test('tools/list shows the imported operations, $refs resolved in the inputSchema', async () => {
    const { tools } = await client.listTools();
    const ours = Object.fromEntries(tools.filter((t) => t.name.startsWith('fakeapi_')).map((t) => [t.name, t]));
    assert.deepEqual(Object.keys(ours).sort(), [
      'fakeapi_add_note', 'fakeapi_create_item', 'fakeapi_delete_item', 'fakeapi_get_item',
      'fakeapi_list_items', 'fakeapi_whoami',  // hand-written; getMe is excluded
    ]);
    const tags = { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 50 } };
    const note = ours.fakeapi_add_note;
    assert.equal(note.description, 'Add a note to a project. (The fake serves this path with its echo route, which answers with the request it received.)');
    assert.deepEqual(note.inputSchema.required, ['project', 'text']);
    assert.deepEqual(note.inputSchema.properties.labels, tags);
    assert.deepEqual(note.inputSchema.properties.priority, { type: 'string', enum: ['low', 'normal', 'high'] });
    assert.deepEqual(note.inputSchema.properties.project, { type: 'string', minLength: 1, maxLength: 64 });
    assert.deepEqual(ours.fakeapi_create_item.inputSchema.properties.tags, tags);
    assert.deepEqual(ours.fakeapi_get_item.inputSchema.properties.id,
      { type: 'string', minLength: 1, maxLength: 64, description: "The item's id (it_N)" });
    assert.ok(!JSON.stringify(tools).includes('$ref'), 'an unresolved $ref reached the client');
    assert.deepEqual(note.annotations, { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    assert.equal(ours.fakeapi_delete_item.annotations.destructiveHint, true);
    assert.equal(ours.fakeapi_list_items.annotations.readOnlyHint, true);
  });

  test('before connecting, an imported tool answers with the connect link', async () => {
    const r = await client.callTool({ name: 'fakeapi_add_note', arguments: { project: 'p', text: 't' } });
    assert.equal(r.isError, true, JSON.stringify(r));
    assert.match(r.content[0].text, new RegExp(`${base}/connect/fakeapi`));
  });

  test('the user connects in the browser', async () => {
    const profileDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS,
    });
    try {
      const page = await context.newPage();
      await page.goto(`${base}/connect/fakeapi`);
      await page.locator('input[name="username"]').waitFor({ timeout: 10000 });
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', USERS.alice);
      await page.locator('form:has(input[name="password"]) [type="submit"], form:has(input[name="password"]) button:not([type])').first().click();
      const back = await consentInBrowser(page, { user: 'alice' });
      assert.ok(back.startsWith(`${base}/connect/callback?`), back);
      await page.waitForLoadState('load');
      assert.equal(await page.locator('h1').innerText(), 'Connected');
    } finally {
      await context.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true });
    }
  });

  test('path, query and JSON-body arguments reach the API exactly', async () => {
    await saas.resetStats();
    const r = await call('fakeapi_add_note', {
      project: 'road map/2027', notify: true, priority: 'high',
      text: 'Ship it', labels: ['launch', 'q3'], pinned: false, weight: 3,
    });
    const echo = r.structuredContent;
    assert.equal(echo.method, 'POST');
    // One path segment: the space and the slash are percent-encoded.
    assert.equal(echo.path, '/api/echo/projects/road%20map%2F2027/notes');
    assert.equal(echo.rawQuery, 'notify=true&priority=high');
    assert.deepEqual(echo.json, { text: 'Ship it', labels: ['launch', 'q3'], pinned: false, weight: 3 });
    assert.equal(echo.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(echo.authorization, { present: true, scheme: 'Bearer', user: 'alice' });
    // Optional arguments left out are left out of the request too.
    const bare = (await call('fakeapi_add_note', { project: 'p', text: 'only text' })).structuredContent;
    assert.equal(bare.rawQuery, '');
    assert.deepEqual(bare.json, { text: 'only text' });
    const stats = await saas.stats();
    assert.equal(stats.apiRoutes['POST /api/echo'], 2, JSON.stringify(stats.apiRoutes));
    assert.equal(stats.tokenLeaks ?? 0, 0);
  });

  test('arguments that break the inputSchema never reach the API', async () => {
    await saas.resetStats();
    for (const args of [{ project: 'p' }, { project: 'p', text: 't', priority: 'urgent' },
      { project: 'p', text: 't', labels: Array(21).fill('x') }]) {
      await assert.rejects(client.callTool({ name: 'fakeapi_add_note', arguments: args }),
        (e) => e.code === -32602, JSON.stringify(args));
    }
    assert.deepEqual((await saas.stats()).apiRoutes, {});
  });

  test('create, get, list and delete items through the imported tools', async () => {
    const created = (await call('fakeapi_create_item', { title: 'From OpenAPI', tags: ['oas', 'e2e'], body: 'b' })).structuredContent;
    assert.match(created.id, /^it_\d+$/);
    const stored = (await saas.items()).alice.find((it) => it.id === created.id);
    assert.deepEqual({ title: stored.title, tags: stored.tags, body: stored.body },
      { title: 'From OpenAPI', tags: ['oas', 'e2e'], body: 'b' });
    const got = (await call('fakeapi_get_item', { id: created.id })).structuredContent;
    assert.equal(got.title, 'From OpenAPI');
    const listed = (await call('fakeapi_list_items', { tag: 'oas', limit: 1 })).structuredContent;
    assert.deepEqual(listed.items.map((it) => it.id), [created.id]);
    assert.equal(listed.total, 1);
    await call('fakeapi_delete_item', { id: created.id });
    assert.equal((await saas.items()).alice.find((it) => it.id === created.id), undefined);
    const who = (await call('fakeapi_whoami', {})).structuredContent;
    assert.equal(who.login, 'alice');
  });
});
