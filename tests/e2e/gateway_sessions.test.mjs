// Gateway sessions across replicas (issue 5, "sessions that survive replicas"): two mcpgate
// processes share one deployment's master key and store (SQLite file, so tokens verify on both)
// and front one HTTP upstream (tests/e2e/fixtures/fault_upstream.mjs, which opens a session per
// initialize, answers `whoami` with the session a call came on, and can forget its sessions).
//   - a client session opened on one replica goes on on the other: the Mcp-Session-Id is the
//     sealed session state, including the client's own upstream session id
//   - every client session has an upstream session of its own (users never share one)
//   - another user's (or agent's) session id is refused on every replica
//   - an upstream that forgot a session gets a new one, and the call still succeeds
//   - DELETE ends the upstream session too
//   - the real SDK client behind a round-robin "load balancer" (a fetch that alternates
//     replicas) works throughout
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startFaultUpstream } from './lib/fault_upstream.mjs';
import { request, startServer } from './lib/mcpgate.mjs';
import {
  STATIC_PUBLIC_CLIENT, authGateConfig, bearer, getTokens, initSessionWithToken, rpc,
} from './lib/oauth.mjs';

const REDIRECT = 'http://127.0.0.1:54321/cb';

let upstream;
let a;
let b;
let alice;
let bob;

const gatewaySection = (url) => `gateway:
  upstreams:
    - name: shared
      url: ${url}
      include: [echo, whoami, forget]
`;

before(async () => {
  upstream = await startFaultUpstream('shared');
  const first = await startServer((port) => `${authGateConfig(port, { logLevel: 'info' })}${gatewaySection(upstream.url)}`);
  const base = `http://127.0.0.1:${first.port}`;
  a = Object.assign(first, { base, issuer: base, resource: `${base}/mcp` });
  // The second replica: same public URL (issuer and resource), same store, same master key.
  const dataDir = path.join(a.dir, 'data');
  const second = await startServer(`${authGateConfig(a.port, { logLevel: 'info' })}${gatewaySection(upstream.url)}`, {
    store: `sqlite:${path.join(dataDir, 'mcpgate.db')}`,
    files: { 'data/master.key': readFileSync(path.join(dataDir, 'master.key')) },
  });
  b = Object.assign(second, { base, issuer: base, resource: `${base}/mcp` });
  const tokens = (username, client) => getTokens(a, {
    client_id: client ?? STATIC_PUBLIC_CLIENT.client_id, redirect_uri: REDIRECT, scope: 'calendar:read', username,
  });
  alice = (await tokens('alice')).access_token;
  bob = (await tokens('bob')).access_token;
});

after(async () => {
  for (const s of [a, b]) if (s) await s.stop();
  if (upstream) await upstream.stop();
});

const opened = () => upstream.lines.filter((l) => l.startsWith('session opened ')).length;

async function whoami(gate, token, sid, id = 9) {
  const r = await rpc(gate, token, sid, 'tools/call', { name: 'shared__whoami', arguments: {} }, id);
  assert.equal(r.status, 200, r.body);
  const result = r.msg?.result;
  assert.ok(result && !result.isError, r.body);
  return result.content[0].text;
}

describe('gateway sessions across replicas', () => {
  test('a session opened on one replica goes on on the other, on the same upstream session', async () => {
    const sid = await initSessionWithToken(a, alice);
    const onA = await whoami(a, alice, sid);
    assert.match(onA, /^fault-shared-/);
    // Lines reach this process asynchronously: count once the line of alice's session is in.
    await upstream.waitFor(`session opened ${onA}`);
    const before = opened();
    const onB = await whoami(b, alice, sid);
    assert.equal(onB, onA, 'replica b used another upstream session');
    assert.equal(opened(), before, 'resuming on replica b opened an upstream session');
    // tools/list works on b too (the session is fully usable there).
    const list = await rpc(b, alice, sid, 'tools/list', {}, 10);
    assert.ok(list.msg?.result?.tools?.some((t) => t.name === 'shared__whoami'), list.body);
  });

  test('every client session has its own upstream session', async () => {
    const s1 = await initSessionWithToken(a, alice);
    const s2 = await initSessionWithToken(b, alice);
    const s3 = await initSessionWithToken(a, bob);
    const ids = [await whoami(a, alice, s1), await whoami(b, alice, s2), await whoami(a, bob, s3)];
    assert.equal(new Set(ids).size, 3, ids.join(', '));
  });

  test("another user's session id is refused on every replica; the owner's keeps working", async () => {
    const sid = await initSessionWithToken(a, alice);
    const echoes = () => upstream.lines.filter((l) => l === 'call echo').length;
    const before = echoes();
    for (const gate of [a, b]) {
      const r = await rpc(gate, bob, sid, 'tools/call', { name: 'shared__echo', arguments: { message: 'bob' } }, 11);
      assert.equal(r.status, 404, `${gate.port}: ${r.status} ${r.body}`);
    }
    assert.equal(echoes(), before, "bob's call reached the upstream");
    // An altered id is no session anywhere either.
    const altered = sid.slice(0, 20) + (sid[20] === 'A' ? 'B' : 'A') + sid.slice(21);
    const forged = await rpc(b, alice, altered, 'tools/list', {}, 12);
    assert.equal(forged.status, 404, forged.body);
    assert.match(await whoami(b, alice, sid), /^fault-shared-/);
  });

  test('an upstream that forgot the session gets a new one and the call succeeds', async () => {
    const sid = await initSessionWithToken(a, alice);
    const original = await whoami(a, alice, sid);
    const forgot = await rpc(a, alice, sid, 'tools/call', { name: 'shared__forget', arguments: {} }, 13);
    assert.equal(forgot.status, 200, forgot.body);
    const replaced = await whoami(b, alice, sid);
    assert.notEqual(replaced, original);
    assert.equal(await whoami(b, alice, sid), replaced, 'replica b did not keep the replacement');
    assert.match(await whoami(a, alice, sid), /^fault-shared-/);
  });

  test('DELETE ends the upstream session too', async () => {
    const sid = await initSessionWithToken(a, alice);
    const mine = await whoami(a, alice, sid);
    const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', ...bearer(alice) };
    const del = await request(b.port, { method: 'DELETE', headers });
    assert.equal(del.status, 200, del.body);
    await upstream.waitFor(`session ended ${mine}`);
    const gone = await rpc(b, alice, sid, 'tools/list', {}, 14);
    assert.equal(gone.status, 404, gone.body);
  });

  test('the SDK client behind a round-robin load balancer', async () => {
    let turn = 0;
    const replicas = [a.port, b.port];
    const lb = (url, init) => {
      const u = new URL(url);
      u.port = String(replicas[turn++ % 2]);
      return fetch(u, init);
    };
    const client = new Client({ name: 'mcpgate-e2e-gateway-sessions', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(a.url), {
      requestInit: { headers: bearer(alice) }, fetch: lb,
    }));
    try {
      const seen = new Set();
      for (let i = 0; i < 6; i++) {
        const r = await client.callTool({ name: 'shared__whoami', arguments: {} });
        assert.ok(!r.isError, JSON.stringify(r));
        seen.add(r.content[0].text);
      }
      assert.equal(seen.size, 1, [...seen].join(', '));
      const echo = await client.callTool({ name: 'shared__echo', arguments: { message: 'hi' } });
      assert.equal(echo.content[0].text, 'shared: hi');
      assert.ok(turn >= 8, `only ${turn} requests went through the balancer`);
    } finally {
      await client.close();
    }
  });
});
