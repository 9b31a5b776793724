// Tool-level authorization end to end: examples/demo.yaml (its demo policy,
// examples/demo-policy.fga[.yaml]) served by the real binary, real OAuth tokens from the real
// login flow, the MCP TypeScript SDK client calling tools. Per call, both the user and the agent
// (OAuth client) must be allowed; denials are JSON-RPC errors with a decision id and leave the
// session usable; tools/list shows what both may call; a tuple written through the
// OpenFGA-compatible API takes effect on the next call without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { API_TOKEN_ENV, demoYaml, policyApi } from './lib/demo_gate.mjs';
import { startServer } from './lib/mcpgate.mjs';
import { getTokens, register } from './lib/oauth.mjs';

const API_TOKEN = 'e2e-authz-api-token-0123456789abcdef0123456789';
const REDIRECT = 'http://127.0.0.1/callback';
const SCOPE = 'calendar:write mail:write';

let gate;
let api; // the management API with API_TOKEN
before(async () => {
  // demo.yaml as shipped (lib/demo_gate.mjs) with the management API on.
  const srv = await startServer(demoYaml({ api: true }), { env: { [API_TOKEN_ENV]: API_TOKEN } });
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp` });
  api = policyApi(gate, API_TOKEN);
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

async function connect(accessToken) {
  const client = new Client({ name: 'mcpgate-e2e-authz', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(gate.url), {
    requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
  });
  await client.connect(transport);
  return client;
}

async function denied(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('the call was allowed');
}

const names = (list) => list.tools.map((t) => t.name).sort();

describe('demo policy with real tokens and a real MCP client', () => {
  let assistant; // alice through the calendar-assistant client
  let bobClient; // bob through a dynamically registered client

  before(async () => {
    const a = await getTokens(gate, { client_id: 'calendar-assistant', redirect_uri: REDIRECT, scope: SCOPE, username: 'alice' });
    assistant = await connect(a.access_token);
    const reg = await register(gate, {
      client_name: 'e2e other agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    });
    assert.equal(reg.status, 201, reg.body);
    const b = await getTokens(gate, { client_id: reg.json.client_id, redirect_uri: REDIRECT, scope: SCOPE, username: 'bob' });
    bobClient = await connect(b.access_token);
  });

  after(async () => {
    await assistant?.close();
    await bobClient?.close();
  });

  test('tools/list shows only what both the user and the agent may call', async () => {
    assert.deepEqual(names(await assistant.listTools()), ['get_availability', 'list_events']);
    assert.deepEqual(names(await bobClient.listTools()),
      ['get_availability', 'list_events', 'read_message', 'search_messages']);
  });

  test('the calendar assistant reads availability and lists events', async () => {
    const avail = await assistant.callTool({ name: 'get_availability', arguments: { date: '2026-12-01' } });
    assert.notEqual(avail.isError, true, JSON.stringify(avail));
    const list = await assistant.callTool({ name: 'list_events', arguments: { max_results: 10 } });
    assert.notEqual(list.isError, true, JSON.stringify(list));
    // The schema default (20) is what the condition sees when the argument is left out.
    const dflt = await assistant.callTool({ name: 'list_events', arguments: {} });
    assert.notEqual(dflt.isError, true, JSON.stringify(dflt));
  });

  test('the calendar assistant may not delete events or send mail, even for alice', async () => {
    const del = await denied(assistant.callTool({ name: 'delete_event', arguments: { event_id: 'evt_1' } }));
    assert.equal(del.code, -31403);
    assert.match(del.message, /tool calendar\/delete_event is not permitted for this client/);
    assert.ok(del.data?.decisionId, 'the denial carries a decision id');
    const send = await denied(assistant.callTool({
      name: 'send_message', arguments: { to: ['x@example.com'], subject: 's', body: 'b' },
    }));
    assert.equal(send.code, -31403);
    assert.match(send.message, /tool mail\/send_message is not permitted for this client/);
  });

  test('list_events with more than 50 results is denied by the condition', async () => {
    const over = await denied(assistant.callTool({ name: 'list_events', arguments: { max_results: 51 } }));
    assert.equal(over.code, -31403);
    assert.match(over.message, /tool calendar\/list_events is not permitted for this user/);
    const edge = await assistant.callTool({ name: 'list_events', arguments: { max_results: 50 } });
    assert.notEqual(edge.isError, true);
  });

  test('the session stays usable after denials', async () => {
    await denied(assistant.callTool({ name: 'delete_event', arguments: { event_id: 'evt_1' } }));
    const ok = await assistant.callTool({ name: 'get_availability', arguments: { date: '2026-12-02' } });
    assert.notEqual(ok.isError, true);
  });

  test('bob may only read, whatever his client', async () => {
    const ok = await bobClient.callTool({ name: 'search_messages', arguments: { query: '' } });
    assert.notEqual(ok.isError, true);
    const create = await denied(bobClient.callTool({
      name: 'create_event', arguments: { title: 't', start: '2026-12-01T10:00:00Z', end: '2026-12-01T11:00:00Z' },
    }));
    assert.equal(create.code, -31403);
    assert.match(create.message, /tool calendar\/create_event is not permitted for this user/);
  });

  test('arguments that look like relationship ids change nothing (ATTACKS row 144)', async () => {
    const e = await denied(bobClient.callTool({
      name: 'create_event',
      arguments: { title: 'group:staff#member', start: '2026-12-01T10:00:00Z', end: '2026-12-01T11:00:00Z', location: 'user:alice' },
    }));
    assert.equal(e.code, -31403);
  });

  test('a tuple written through the API takes effect on the next call, and its deletion too', async () => {
    const stores = await api('GET', '/stores');
    assert.equal(stores.status, 200, stores.body);
    const storeId = stores.json.stores[0].id;
    const tuple = { user: 'user:bob', relation: 'invoker', object: 'tool:calendar/create_event' };
    const args = { title: 'granted', start: '2026-12-03T10:00:00Z', end: '2026-12-03T11:00:00Z' };
    const w = await api('POST', `/stores/${storeId}/write`, { writes: { tuple_keys: [tuple] } });
    assert.equal(w.status, 200, w.body);
    const created = await bobClient.callTool({ name: 'create_event', arguments: args });
    assert.notEqual(created.isError, true, JSON.stringify(created));
    assert.ok(names(await bobClient.listTools()).includes('create_event'));
    const d = await api('POST', `/stores/${storeId}/write`, { deletes: { tuple_keys: [tuple] } });
    assert.equal(d.status, 200, d.body);
    const again = await denied(bobClient.callTool({ name: 'create_event', arguments: args }));
    assert.equal(again.code, -31403);
  });

  test('every decision is in the decision log, arguments only as a digest', async () => {
    const del = await denied(assistant.callTool({ name: 'delete_event', arguments: { event_id: 'evt_secretive_42' } }));
    const id = del.data.decisionId;
    // The logger is asynchronous: give it a moment.
    let line;
    for (let i = 0; i < 50 && !line; i++) {
      line = gate.logs().split('\n').find((l) => l.includes(id));
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line, 'no decision log line for the denial');
    const entry = JSON.parse(line);
    assert.equal(entry.event, 'authz_decision');
    assert.equal(entry.decision, 'deny');
    assert.equal(entry.user, 'alice');
    assert.equal(entry.client_id, 'calendar-assistant');
    assert.equal(entry.tool, 'calendar/delete_event');
    assert.equal(entry.principal, 'client');
    assert.ok(entry.model_id, 'model id logged');
    assert.match(entry.arguments_sha256, /^[0-9a-f]{64}$/);
    assert.ok(!gate.logs().includes('evt_secretive_42'), 'arguments must not be logged in clear');
    assert.ok(gate.logs().includes('"decision":"allow"'), 'allowed calls are logged too');
  });
});
