// The Admin API (issue 9 item 1) end to end: demo.yaml as shipped with `admin: {enabled: true}`,
// real tokens from the gate's own authorization server (login + consent, RFC 8707 resource =
// the admin API), the OpenAPI document checked structurally and every operation in it called,
// with its 401/403 refusals; deactivating bob through the API ends his MCP tool calls (401).
// One gate for the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { demoYaml } from './lib/demo_gate.mjs';
import { startServer } from './lib/mcpgate.mjs';
import { getTokens, initSessionWithToken, rpc } from './lib/oauth.mjs';

const CLIENT = 'calendar-assistant'; // demo.yaml's static public client
const REDIRECT = 'http://127.0.0.1/callback';

let gate;
let adminResource;
let api; // (method, path, {token, body, headers, raw}) → {status, headers, json, body}

before(async () => {
  const srv = await startServer(`${demoYaml().replace(/\n*$/, '\n')}admin:\n  enabled: true\n`);
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp` });
  adminResource = `${base}/admin`;
  api = async (method, pathname, { token, body, headers = {}, raw } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
    const res = await fetch(new URL(pathname, base), {
      method, headers: h, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: Object.fromEntries(res.headers), json, body: text };
  };
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

const adminToken = async (username, scope) => (await getTokens(gate, {
  client_id: CLIENT, redirect_uri: REDIRECT, scope, username, resource: adminResource,
})).access_token;

// Structural checks of an OpenAPI 3.1 document: version, info, every operation with an
// operationId and responses, unique operationIds, path parameters declared, every $ref resolves.
function validateOpenApi(doc) {
  const problems = [];
  if (!/^3\.1\.\d+$/.test(doc.openapi ?? '')) problems.push(`openapi is ${doc.openapi}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info.title/version');
  if (typeof doc.paths !== 'object') problems.push('no paths');
  const ids = new Set();
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    if (!p.startsWith('/')) problems.push(`path ${p} does not start with /`);
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(method)) {
        problems.push(`${p}: unknown method ${method}`);
        continue;
      }
      if (typeof op.operationId !== 'string') problems.push(`${method} ${p}: no operationId`);
      if (ids.has(op.operationId)) problems.push(`operationId ${op.operationId} twice`);
      ids.add(op.operationId);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${op.operationId}: no responses`);
      for (const name of p.match(/\{[^}]+\}/g) ?? []) {
        const declared = (op.parameters ?? []).some((x) => x.in === 'path' && `{${x.name}}` === name && x.required === true);
        if (!declared) problems.push(`${op.operationId}: path parameter ${name} not declared`);
      }
      for (const s of op.security ?? []) {
        for (const scheme of Object.keys(s)) {
          if (!doc.components?.securitySchemes?.[scheme]) problems.push(`${op.operationId}: unknown security scheme ${scheme}`);
        }
      }
      ops.push({ path: p, method, op });
    }
  }
  const resolve = (ref) => ref.startsWith('#/') && ref.slice(2).split('/').reduce((at, k) => (at && typeof at === 'object' ? at[k] : undefined), doc);
  let refs = 0;
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string') {
        refs += 1;
        if (resolve(node.$ref) === undefined) problems.push(`unresolved $ref ${node.$ref}`);
      }
      Object.values(node).forEach(walk);
    }
  };
  walk(doc);
  if (refs === 0) problems.push('no $ref at all');
  return { problems, ops };
}

const fill = (p, ids) => p.replace(/\{([^}]+)\}/g, (_, name) => ids[name]);

describe('the Admin API', { timeout: 60000 }, () => {
  let doc;
  let ops;
  let alice; // admin:write (implies admin:read), alice is admin of organization:default
  let aliceRead; // admin:read only
  let bobAdmin; // admin:write, but bob has no admin relation
  let bobMcp; // bob's MCP token
  let bobSession;
  const called = new Set();

  before(async () => {
    alice = await adminToken('alice', 'admin:read admin:write');
    aliceRead = await adminToken('alice', 'admin:read');
    bobAdmin = await adminToken('bob', 'admin:write');
    bobMcp = (await getTokens(gate, { client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'bob' })).access_token;
    bobSession = await initSessionWithToken(gate, bobMcp);
  });

  test('GET /admin/openapi.json is a valid OpenAPI 3.1 document', async () => {
    const r = await api('GET', '/admin/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/json/);
    doc = r.json;
    const checked = validateOpenApi(doc);
    assert.deepEqual(checked.problems, []);
    ops = checked.ops;
    assert.ok(ops.length >= 7, `${ops.length} operations`);
    assert.equal(doc.servers[0].url, `${gate.base}/admin/api/v1`);
    assert.deepEqual(Object.keys(doc.components.securitySchemes.gateOAuth.flows.authorizationCode.scopes).sort(), ['admin:read', 'admin:write']);
  });

  test('tokens are audience-bound: an admin token is no MCP token, and the other way round', async () => {
    const mcp = await rpc(gate, alice, bobSession, 'tools/list');
    assert.equal(mcp.status, 401);
    const r = await api('GET', '/admin/api/v1/users', { token: bobMcp });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'invalid_token');
    assert.match(r.headers['www-authenticate'], /^Bearer /);
    assert.match(r.headers['www-authenticate'], /oauth-protected-resource\/admin/);
    const prm = await api('GET', '/.well-known/oauth-protected-resource/admin');
    assert.equal(prm.status, 200);
    assert.equal(prm.json.resource, adminResource);
  });

  test('every operation refuses a missing token (401), bob without an admin relation (403) and a token without the scope (403)', async () => {
    assert.ok(ops, 'the document was read');
    for (const { path: p, method, op } of ops) {
      const url = `/admin/api/v1${fill(p, { user_id: 'bob', grant_id: 'g-unknown' })}`;
      const M = method.toUpperCase();
      const none = await api(M, url);
      assert.equal(none.status, 401, `${op.operationId} without a token`);
      assert.match(none.headers['www-authenticate'] ?? '', /^Bearer resource_metadata=/);
      assert.equal(none.json.error, 'invalid_token');
      const bob = await api(M, url, { token: bobAdmin });
      assert.equal(bob.status, 403, `${op.operationId} as bob: ${bob.body}`);
      assert.equal(bob.json.error, 'forbidden');
      assert.ok(bob.json.error_description.includes(op['x-mcpgate-permission']), bob.json.error_description);
      if (op.security[0].gateOAuth.includes('admin:write')) {
        const ro = await api(M, url, { token: aliceRead });
        assert.equal(ro.status, 403, `${op.operationId} with admin:read only`);
        assert.equal(ro.json.error, 'insufficient_scope');
        assert.match(ro.headers['www-authenticate'], /error="insufficient_scope", scope="admin:write"/);
      }
    }
  });

  test('alice calls every operation; deactivating bob ends his next MCP tool call', async () => {
    // bob can call a tool before.
    const before = await rpc(gate, bobMcp, bobSession, 'tools/call', { name: 'list_events', arguments: { max_results: 5 } });
    assert.equal(before.status, 200);
    assert.ok(before.msg?.result, before.body);

    const run = {
      listUsers: async (url) => {
        const seen = [];
        let next = `${url}?limit=1`;
        for (let i = 0; i < 10 && next; i += 1) {
          const r = await api('GET', next, { token: alice });
          assert.equal(r.status, 200, r.body);
          assert.ok(r.json.items.length <= 1);
          seen.push(...r.json.items.map((u) => u.id));
          next = r.json.next_cursor ? `${url}?limit=1&cursor=${encodeURIComponent(r.json.next_cursor)}` : null;
        }
        assert.deepEqual(seen.sort(), ['alice', 'bob']);
      },
      getUser: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.id, 'bob');
        assert.equal(r.json.org_id, 'default');
        assert.equal(r.json.disabled, false);
      },
      listClients: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        const c = r.json.items.find((x) => x.client_id === CLIENT);
        assert.equal(c?.kind, 'static');
        assert.equal(c?.client_name, 'Calendar Assistant');
      },
      getCallStats: async (url) => {
        // bob's list_events call above is in the audit log (written in batches: poll briefly).
        let r;
        for (let i = 0; i < 20; i += 1) {
          r = await api('GET', `${url}?hours=1`, { token: alice });
          assert.equal(r.status, 200, r.body);
          if (r.json.total.calls >= 1) break;
          await new Promise((res) => setTimeout(res, 200));
        }
        assert.ok(r.json.total.calls >= 1, r.body);
        assert.equal(r.json.buckets, 24);
        assert.equal(r.json.bucket_seconds, 150);
        assert.ok(r.json.by_tool.some((t) => t.name === 'calendar/list_events'), r.body);
        assert.equal((await api('GET', `${url}?hours=0`, { token: alice })).status, 400);
      },
      getAgentAccess: async (url) => {
        const r = await api('GET', `${url}?client_id=${CLIENT}`, { token: alice });
        assert.equal(r.status, 200, r.body);
        const verdict = (o) => r.json.tools.find((t) => t.object === o)?.verdict;
        assert.equal(verdict('tool:calendar/get_availability'), 'allow');
        assert.equal(verdict('tool:calendar/list_events'), 'conditional');
        assert.equal(verdict('tool:calendar/delete_event'), 'deny');
        assert.ok(r.json.grants.length >= 1, r.body);
        assert.equal((await api('GET', `${url}?client_id=no-such-client`, { token: alice })).status, 404);
      },
      listUserGrants: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        // bob's MCP grant and his (useless) admin grant.
        assert.equal(r.json.items.length, 2);
        assert.ok(r.json.items.every((g) => g.client_id === CLIENT));
      },
      revokeUserGrant: async (_url, p) => {
        const grants = (await api('GET', '/admin/api/v1/users/bob/grants', { token: alice })).json.items;
        const adminGrant = grants.find((g) => g.resources.includes(adminResource));
        assert.ok(adminGrant, JSON.stringify(grants));
        const r = await api('DELETE', `/admin/api/v1${fill(p, { user_id: 'bob', grant_id: adminGrant.id })}`, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.grant_id, adminGrant.id);
        assert.equal(r.json.tokens_revoked, 1);
        // bob's admin token is dead at once; his MCP grant lives on.
        assert.equal((await api('GET', '/admin/api/v1/users', { token: bobAdmin })).status, 401);
        const still = await rpc(gate, bobMcp, bobSession, 'tools/call', { name: 'list_events', arguments: { max_results: 5 } }, 8);
        assert.equal(still.status, 200);
        const missing = await api('DELETE', '/admin/api/v1/users/bob/grants/no-such-grant', { token: alice });
        assert.equal(missing.status, 404);
        assert.equal(missing.json.error, 'not_found');
      },
      deactivateUser: async (url) => {
        const self = await api('POST', '/admin/api/v1/users/alice/deactivate', { token: alice });
        assert.equal(self.status, 409);
        const r = await api('POST', url, { token: alice, body: { reason: 'e2e: offboarding' } });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.user.disabled, true);
        assert.ok(r.json.tokens_revoked >= 1, r.body); // his MCP token (and the admin one revoked above)
        const after = await rpc(gate, bobMcp, bobSession, 'tools/call', { name: 'list_events', arguments: { max_results: 5 } }, 9);
        assert.equal(after.status, 401, after.body);
        assert.match(after.headers['www-authenticate'], /invalid_token/);
      },
      reactivateUser: async (url) => {
        const r = await api('POST', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.user.disabled, false);
        assert.equal(r.json.was_disabled, true);
      },
    };
    // The document's order is alphabetical by path; the steps above need this one.
    const order = ['listUsers', 'getUser', 'listClients', 'getCallStats', 'getAgentAccess', 'listUserGrants', 'revokeUserGrant', 'deactivateUser', 'reactivateUser'];
    const byId = new Map(ops.map((o) => [o.op.operationId, o]));
    for (const id of byId.keys()) assert.ok(order.includes(id), `operation ${id} is in the document but not exercised here`);
    for (const id of order) {
      const o = byId.get(id);
      assert.ok(o, `${id} is not in the document`);
      await run[id](`/admin/api/v1${fill(o.path, { user_id: 'bob', grant_id: 'unused' })}`, o.path);
      called.add(id);
    }
    assert.equal(called.size, byId.size);
  });

  test('hostile input gets the JSON error body and the right status', async () => {
    const cases = [
      ['GET', '/admin/api/v1/nope', {}, 404],
      ['PUT', '/admin/api/v1/users', {}, 405],
      ['GET', '/admin/api/v1/users/..%2F..%2Fetc', {}, 400],
      ['GET', '/admin/api/v1/users?limit=100000', {}, 400],
      ['GET', '/admin/api/v1/users?cursor=%00', {}, 400],
      ['POST', '/admin/api/v1/users/bob/reactivate', { raw: '{"reason":', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', '/admin/api/v1/users/bob/reactivate', { raw: 'reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
      ['POST', '/admin/api/v1/users/bob/reactivate', { raw: JSON.stringify({ reason: 'x'.repeat(70000) }), headers: { 'content-type': 'application/json' } }, 413],
    ];
    for (const [method, url, opts, status] of cases) {
      const r = await api(method, url, { token: alice, ...opts });
      assert.equal(r.status, status, `${method} ${url}: ${r.body.slice(0, 200)}`);
      assert.equal(typeof r.json?.error, 'string', r.body.slice(0, 200));
      assert.equal(typeof r.json?.error_description, 'string');
    }
  });

  test('every admin call is one log line without tokens', () => {
    const lines = gate.logs().split('\n').filter((l) => l.includes('"admin_call"'));
    assert.ok(lines.some((l) => l.includes('"deactivateUser"') && l.includes('"allow"') && l.includes('"bob"')));
    assert.ok(lines.some((l) => l.includes('"listUsers"') && l.includes('"deny"')));
    for (const t of [alice, aliceRead, bobAdmin, bobMcp]) assert.ok(!gate.logs().includes(t), 'a token is in the log');
  });
});
