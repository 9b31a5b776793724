// The admin MCP server at /admin/mcp (issue 9 item 2) end to end, with the MCP TypeScript SDK's
// Client: demo.yaml as shipped with `admin: {enabled: true}`, bob made helpdesk of the default
// organization through the OpenFGA-compatible API, real tokens from the gate's own
// authorization server for the admin resource. bob lists alice's sessions and revokes one (a
// destructive tool: it runs only after bob approves exactly those arguments through MCP
// elicitation; decline does nothing), is refused a policy change his role does not allow (clear
// error, recorded in the tamper-evident audit log), and a client that cannot elicit is told
// what to do instead. One gate for the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { checkResourceAllowed } from '@modelcontextprotocol/sdk/shared/auth-utils.js';

import { API_TOKEN_ENV, demoYaml, policyApi } from './lib/demo_gate.mjs';
import { BIN, startServer } from './lib/mcpgate.mjs';
import { driveAuthorization, findConsentForm, getTokens, mcpPost, pageText, parseChallenge } from './lib/oauth.mjs';

const CLIENT = 'calendar-assistant'; // demo.yaml's static public client
const REDIRECT = 'http://127.0.0.1/callback';
const API_TOKEN = 'e2e-admin-mcp-policy-api-token-0123456789';

let gate;

before(async () => {
  const yaml = `${demoYaml({ api: true }).replace(/\n*$/, '\n')}admin:\n  enabled: true\n`;
  const srv = await startServer(yaml, { env: { [API_TOKEN_ENV]: API_TOKEN } });
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp`, adminMcp: `${base}/admin/mcp` });
  // bob becomes helpdesk of the default organization (demo model: read users, grants and
  // sessions, revoke grants and sessions; no user deactivation, no policy).
  const fga = policyApi(gate, API_TOKEN);
  const stores = (await fga('GET', '/stores')).json.stores;
  const store = stores.find((s) => s.organization === 'default') ?? stores[0];
  const w = await fga('POST', `/stores/${store.id}/write`, {
    writes: { tuple_keys: [{ user: 'user:bob', relation: 'helpdesk', object: 'organization:default' }] },
  });
  assert.equal(w.status, 200, w.body);
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

const adminToken = async (username, scope = 'admin:read admin:write') => (await getTokens(gate, {
  client_id: CLIENT, redirect_uri: REDIRECT, scope, username, resource: `${gate.base}/admin`,
})).access_token;

const mcpToken = async (username) => (await getTokens(gate, {
  client_id: CLIENT, redirect_uri: REDIRECT, scope: 'calendar:read', username,
})).access_token;

// An SDK client of /admin/mcp. `answer(request)` → the elicitation result; without it the client
// declares no elicitation capability.
async function adminClient(token, answer) {
  const client = new Client({ name: 'mcpgate-e2e-admin-mcp', version: '1.0.0' },
    answer ? { capabilities: { elicitation: { form: {} } } } : {});
  const asked = [];
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return answer(req.params);
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(gate.adminMcp), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  return { client, asked };
}

const text = (r) => r.content.map((c) => c.text ?? '').join('\n');
const accept = () => ({ action: 'accept', content: { confirm: true } });

// The audit log as `mcpgate audit export` prints it, once `probe(records)` holds (written in
// batches at most 200 ms apart).
async function auditRecords(probe) {
  const cli = ['--config', path.join(gate.dir, 'config.yaml'), '--data', path.join(gate.dir, 'data')];
  const deadline = Date.now() + 10000;
  for (;;) {
    const out = execFileSync(BIN, ['audit', 'export', ...cli]).toString();
    const records = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (probe(records) || Date.now() > deadline) return { out, records };
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The ids of alice's live sessions, read through the admin tool.
async function aliceSessions(client) {
  const r = await client.callTool({ name: 'list_sessions', arguments: { user_id: 'alice' } });
  assert.ok(!r.isError, text(r));
  assert.ok(r.structuredContent.items.every((x) => x.user_id === 'alice'));
  return r.structuredContent.items.map((x) => x.id);
}

// A fresh agent session of alice's and its access token: the session is the one list_sessions
// shows now that it did not before.
async function newAliceSession(client) {
  const before = new Set(await aliceSessions(client));
  const token = await mcpToken('alice');
  const added = (await aliceSessions(client)).filter((id) => !before.has(id));
  assert.equal(added.length, 1, `new grants: ${added}`);
  return { id: added[0], token };
}

const mcpStatus = async (token) => (await mcpPost(gate, {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
}, { token })).status;

describe('the admin MCP server', { timeout: 90000 }, () => {
  let bob; // helpdesk, admin:read admin:write
  let alice; // admin

  before(async () => {
    bob = await adminToken('bob');
    alice = await adminToken('alice');
  });

  test('its 401 names the admin resource metadata, which covers /admin/mcp; /mcp tokens are refused', async () => {
    const r = await mcpPost(gate, {
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    }, { path: '/admin/mcp' });
    assert.equal(r.status, 401);
    const challenge = parseChallenge(r.headers['www-authenticate']);
    assert.equal(challenge.params.resource_metadata, `${gate.base}/.well-known/oauth-protected-resource/admin`);
    const prm = await (await fetch(challenge.params.resource_metadata)).json();
    assert.equal(prm.resource, `${gate.base}/admin`);
    assert.deepEqual(prm.authorization_servers, [gate.issuer]);
    assert.ok(prm.scopes_supported.includes('admin:write'));
    // The SDK's own rule for a resource metadata document of another path (RFC 8707 resource).
    assert.equal(checkResourceAllowed({ requestedResource: gate.adminMcp, configuredResource: prm.resource }), true);
    const wrongAudience = await mcpPost(gate, {
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    }, { path: '/admin/mcp', token: await mcpToken('bob') });
    assert.equal(wrongAudience.status, 401);
  });

  test('tools come from the operation table with honest annotations; each caller lists what they may call', async () => {
    const { client } = await adminClient(bob);
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    for (const name of ['list_users', 'get_user', 'list_sessions', 'get_session', 'revoke_session']) {
      assert.ok(byName[name], `helpdesk lists ${name}: ${Object.keys(byName)}`);
    }
    assert.equal(byName.deactivate_user, undefined, 'helpdesk may not deactivate users: not listed');
    assert.equal(byName.write_tuples, undefined, 'helpdesk may not change the policy: not listed');
    assert.deepEqual(byName.list_sessions.annotations,
      { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    assert.deepEqual(byName.revoke_session.annotations,
      { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false });
    assert.match(byName.revoke_session.description, /can_revoke_sessions/);
    assert.deepEqual(byName.revoke_session.inputSchema.required, ['session_id']);
    assert.equal(byName.revoke_session.inputSchema.additionalProperties, false);
    assert.equal(byName.list_sessions.inputSchema.properties.user_id.type, 'string');
    await client.close();
    const admin = await adminClient(alice);
    const names = (await admin.client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('deactivate_user') && names.includes('write_tuples'), names.join());
    const deactivate = (await admin.client.listTools()).tools.find((t) => t.name === 'deactivate_user');
    assert.deepEqual(deactivate.annotations, { readOnlyHint: false, destructiveHint: true, openWorldHint: false });
    await admin.client.close();
  });

  test('helpdesk bob lists alice\'s sessions and revokes one only after approving exactly those arguments', async () => {
    let reply = accept;
    const { client, asked } = await adminClient(bob, (p) => reply(p));
    const granted = await newAliceSession(client);
    assert.equal(await mcpStatus(granted.token), 200, 'alice\'s token works before');

    // Declined: nothing happens.
    reply = () => ({ action: 'decline' });
    const declined = await client.callTool({ name: 'revoke_session', arguments: { session_id: granted.id } });
    assert.equal(declined.isError, true);
    assert.match(text(declined), /revoke_session was not run: the approval was declined/);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].mode, 'form');
    assert.match(asked[0].message, new RegExp(`revoke_session.*"session_id":"${granted.id}"`));
    assert.deepEqual(asked[0].requestedSchema.required, ['confirm']);
    assert.equal(await mcpStatus(granted.token), 200, 'a declined approval revokes nothing');
    assert.ok((await aliceSessions(client)).includes(granted.id));

    // Cancelled, or "accept" without confirm: nothing happens either.
    reply = () => ({ action: 'cancel' });
    const cancelled = await client.callTool({ name: 'revoke_session', arguments: { session_id: granted.id } });
    assert.match(text(cancelled), /was not run: the approval was cancelled/);
    reply = () => ({ action: 'accept', content: { confirm: false } });
    const unconfirmed = await client.callTool({ name: 'revoke_session', arguments: { session_id: granted.id } });
    assert.match(text(unconfirmed), /was not run: the approval was accepted without confirm = true/);
    assert.equal(await mcpStatus(granted.token), 200);

    // Accepted: it runs, once, with those arguments.
    reply = accept;
    const revoked = await client.callTool({ name: 'revoke_session', arguments: { session_id: granted.id } });
    assert.ok(!revoked.isError, text(revoked));
    assert.equal(revoked.structuredContent.grant_id, granted.id);
    assert.equal(asked.length, 4);
    assert.equal(await mcpStatus(granted.token), 401, 'the revoked grant\'s access token is refused at /mcp');
    assert.ok(!(await aliceSessions(client)).includes(granted.id));
    await client.close();
  });

  test('helpdesk bob is refused a policy change, clearly, and the refusal is audited', async () => {
    const { client, asked } = await adminClient(bob, accept);
    // bob tries to make himself an administrator.
    const r = await client.callTool({ name: 'write_tuples', arguments: {
      tuples: [{ user: 'user:bob', relation: 'admin', object: 'organization:default' }], reason: 'e2e',
    } });
    assert.equal(r.isError, true);
    assert.match(text(r), /^write_tuples was refused: writeTuples needs can_manage_policy on organization:default$/);
    assert.equal(asked.length, 0, 'no approval is asked for a call the caller may not make');
    const still = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(!still.includes('deactivate_user') && !still.includes('write_tuples'), 'bob is no administrator');
    const deactivate = await client.callTool({ name: 'deactivate_user', arguments: { user_id: 'alice', reason: 'e2e' } });
    assert.match(text(deactivate), /^deactivate_user was refused: deactivateUser needs can_manage_users on organization:default$/);
    await client.close();
    const alive = await mcpToken('alice');
    assert.equal(await mcpStatus(alive), 200, 'alice is still active');

    const { out, records } = await auditRecords((rs) => rs.some((x) => x.tool === 'writeTuples' && x.user === 'bob'));
    const refused = records.find((x) => x.tool === 'writeTuples' && x.user === 'bob');
    assert.ok(refused, out);
    assert.equal(refused.upstream, 'admin');
    assert.equal(refused.decision, 'deny');
    assert.equal(refused.upstream_status, 'not_called');
    assert.equal(refused.client_id, CLIENT);
    assert.equal(refused.org, 'default');
    assert.deepEqual(refused.admin, { channel: 'mcp', target: '', status: 403 }, 'refused before its arguments were read');
    assert.match(refused.reason, /.+/);
    // The approved revocation and the declined one are there too.
    const revokes = records.filter((x) => x.tool === 'revokeSession' && x.user === 'bob');
    assert.ok(revokes.some((x) => x.decision === 'allow' && x.admin.status === 200), out);
    assert.ok(revokes.some((x) => x.decision === 'deny' && x.reason === 'the approval was declined'), out);
    // Never a token, never the operator's free-text reason.
    assert.ok(!out.includes(bob) && !out.includes(alice), 'no token in the audit log');
    assert.ok(!out.includes('"e2e"'));
    const verify = spawnSync(BIN, ['audit', 'verify', '-'], { input: out });
    assert.equal(verify.status, 0, verify.stdout.toString() + verify.stderr.toString());
  });

  test('Admin API calls are audited the same way (channel api)', async () => {
    const r = await fetch(`${gate.base}/admin/api/v1/users`, { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(r.status, 200);
    const { out, records } = await auditRecords((rs) => rs.some((x) => x.tool === 'listUsers' && x.admin?.channel === 'api'));
    const listed = records.find((x) => x.tool === 'listUsers' && x.admin?.channel === 'api');
    assert.ok(listed, out);
    assert.equal(listed.user, 'alice');
    assert.equal(listed.decision, 'allow');
  });

  test('a client that cannot elicit gets an approval link; the approved call runs once, only with those arguments', async () => {
    const { client } = await adminClient(bob);
    const g1 = await newAliceSession(client);
    const g2 = await newAliceSession(client);
    const revoke = (session) => client.callTool({ name: 'revoke_session', arguments: { session_id: session.id } });
    const linkOf = (r) => {
      assert.equal(r.isError, true, text(r));
      const m = /Open (http:\/\/\S+\/admin\/approvals\/[A-Za-z0-9_-]+) signed in as the same user/.exec(text(r));
      assert.ok(m, text(r));
      return m[1];
    };
    const first = await revoke(g1);
    assert.match(text(first), /^revoke_session is destructive and needs a human's approval of these exact arguments\. Nothing was done yet\./);
    const url = linkOf(first);
    assert.ok(url.startsWith(`${gate.base}/admin/approvals/`));
    assert.equal(linkOf(await revoke(g1)), url, 'the same call repeated before a decision: the same link');
    assert.equal(await mcpStatus(g1.token), 200, 'nothing was revoked yet');

    // Someone else (alice, an administrator) signed in sees no such approval.
    const other = await driveAuthorization(url, { username: 'alice', decision: null });
    assert.equal(other.final.status, 404);
    assert.equal(findConsentForm(other.final.forms), undefined);

    // bob signs in (the gate's own login page) and sees exactly what he approves.
    const seen = await driveAuthorization(url, { username: 'bob', decision: null });
    assert.equal(seen.pages[0].kind, 'login', 'the link asks for a sign-in first');
    const page = seen.final;
    assert.equal(page.status, 200);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.headers['content-security-policy'], /frame-ancestors 'none'/);
    assert.equal(page.headers['cache-control'], 'no-store');
    const shown = pageText(page.html);
    assert.match(shown, /revoke_session \(revokeSession\)/);
    assert.ok(shown.includes(`"session_id": "${g1.id}"`), shown);
    assert.ok(shown.includes(CLIENT));
    const form = findConsentForm(page.forms);
    assert.ok(form?.fields.csrf, 'an approve form with a CSRF token');
    // A forged form (wrong token) or one posted from another site does nothing.
    const forged = await seen.ua.submit(form, { decision: 'approve', csrf: 'x'.repeat(43) }, { origin: gate.base });
    assert.equal(forged.status, 403);
    const crossSite = await seen.ua.submit(form, { decision: 'approve' }, { origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.equal(linkOf(await revoke(g1)), url, 'still waiting');
    // Approved.
    const approved = await seen.ua.submit(form, { decision: 'approve' }, { origin: gate.base });
    assert.equal(approved.status, 200, await approved.text());
    const twice = await seen.ua.submit(form, { decision: 'approve' }, { origin: gate.base });
    assert.equal(twice.status, 409, 'decided once');

    // The approval is for g1 only: revoking g2 still needs its own approval.
    const otherArgs = await revoke(g2);
    assert.notEqual(linkOf(otherArgs), url);
    assert.equal(await mcpStatus(g2.token), 200, 'an approval of other arguments does not apply');

    // The approved call runs, once.
    const ran = await revoke(g1);
    assert.ok(!ran.isError, text(ran));
    assert.equal(ran.structuredContent.grant_id, g1.id);
    assert.equal(await mcpStatus(g1.token), 401);
    const replay = await revoke(g1);
    assert.notEqual(linkOf(replay), url, 'a used approval is not used again');

    // Denied on the page: the call never runs with it.
    const g2url = linkOf(await revoke(g2));
    const deny = await driveAuthorization(g2url, { username: 'bob', decision: null });
    const denied = await deny.ua.submit(findConsentForm(deny.final.forms), { decision: 'deny' }, { origin: gate.base });
    assert.equal(denied.status, 200);
    const afterDeny = await revoke(g2);
    assert.notEqual(linkOf(afterDeny), g2url);
    assert.equal(await mcpStatus(g2.token), 200);
    await client.close();
  });
});
