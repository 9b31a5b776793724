// Hostile and malformed input against the real binary: every answer is a clear HTTP or
// JSON-RPC error, and the server keeps serving afterwards. Rows refer to
// ../shared/docs/ATTACKS.md ("MCP transport").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, request, initSession, MCP_HEADERS, rpcMessages } from './lib/mcpgate.mjs';

const CONFIG = `
server:
  listen: 127.0.0.1:0
  limits:
    max_body_bytes: 1048576
    header_timeout_ms: 700
mcp:
  path: /mcp
  tool_sets: [demo]
logging:
  level: warn
`;

let srv;
let sid;
before(async () => {
  srv = await startServer(CONFIG);
  sid = await initSession(srv.port);
});
after(async () => {
  const { code, signal } = await srv.stop();
  assert.equal(code, 0, `graceful exit expected, got code=${code} signal=${signal}`);
});

const sessionHeaders = () => ({ ...MCP_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });

async function post(body, headers = sessionHeaders()) {
  return request(srv.port, { headers, body });
}

async function assertStillServing() {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }));
  assert.equal(r.status, 200, r.body);
  const [msg] = rpcMessages(r);
  assert.ok(msg.result.tools.length > 0);
  assert.ok(srv.alive());
}

function assertRpcError(r, status, code) {
  assert.equal(r.status, status, r.body);
  const [msg] = rpcMessages(r);
  assert.ok(msg, `a JSON-RPC error body is expected, got: ${r.body}`);
  assert.equal(msg.jsonrpc, '2.0');
  assert.equal(msg.error.code, code, r.body);
  assert.equal(typeof msg.error.message, 'string');
  assert.ok(msg.error.message.length > 0);
}

test('attacks_121 foreign Origin is refused with 403', async () => {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    { ...sessionHeaders(), origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  await assertStillServing();
});

test('attacks_122 DNS rebinding: non-local Host on a loopback bind is refused', async () => {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    { ...sessionHeaders(), host: 'evil.example.com' });
  assert.ok(r.status >= 400 && r.status < 500, `expected 4xx, got ${r.status}`);
});

test('attacks_123 unsupported MCP-Protocol-Version gives 400 naming the supported versions', async () => {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    { ...sessionHeaders(), 'mcp-protocol-version': '1999-01-01' });
  assert.equal(r.status, 400);
  assert.match(r.body, /2025-11-25/);
});

test('attacks_124 unknown and deleted session ids give 404', async () => {
  const unknown = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    { ...sessionHeaders(), 'mcp-session-id': 'no-such-session' });
  assert.equal(unknown.status, 404);

  const other = await initSession(srv.port);
  const del = await request(srv.port, { method: 'DELETE', headers: { ...sessionHeaders(), 'mcp-session-id': other } });
  assert.ok(del.status >= 200 && del.status < 300, `DELETE: ${del.status}`);
  const after = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    { ...sessionHeaders(), 'mcp-session-id': other });
  assert.equal(after.status, 404);
});

test('attacks_125 body that is not JSON gives -32700 parse error', async () => {
  assertRpcError(await post('{"jsonrpc":"2.0","id":1,"method":"tools/li'), 400, -32700);
  assertRpcError(await post('this is not json'), 400, -32700);
  await assertStillServing();
});

test('attacks_125 JSON that is not a request object gives -32600', async () => {
  assertRpcError(await post('42'), 400, -32600);
  assertRpcError(await post('"text"'), 400, -32600);
  assertRpcError(await post(JSON.stringify({ id: 1, method: 'tools/list' })), 400, -32600);
  assertRpcError(await post(JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: 'tools/list' })), 400, -32600);
  assertRpcError(await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 7 })), 400, -32600);
});

test('attacks_125 batches are refused in the 2025-11-25 era', async () => {
  const batch = JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }]);
  const r = await post(batch);
  assert.equal(r.status, 400);
  const [msg] = rpcMessages(r);
  assert.equal(msg.error.code, -32600);
});

test('attacks_126 a body over the size limit gets 413 and the server keeps serving', async () => {
  const big = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"' + 'x'.repeat(10 * 1024 * 1024) + '"}}';
  const r = await post(big);
  assert.equal(r.status, 413);
  await assertStillServing();
});

test('attacks_126 100k-deep nesting is rejected without crashing', async () => {
  const deep = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":' + '['.repeat(100000) + ']'.repeat(100000) + '}}';
  const r = await post(deep);
  assert.equal(r.status, 400);
  const [msg] = rpcMessages(r);
  assert.ok([-32700, -32600].includes(msg.error.code), r.body);
  await assertStillServing();
});

test('attacks_126 a 1M-element array is rejected cleanly', async () => {
  const arr = '[' + Array(1_000_000).fill('1').join(',') + ']';
  const r = await post(arr);
  assert.equal(r.status >= 400 && r.status < 500, true, `got ${r.status}`);
  await assertStillServing();
});

test('attacks_126 invalid UTF-8 gives -32700', async () => {
  const bytes = Buffer.concat([
    Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_messages","arguments":{"query":"'),
    Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
    Buffer.from('"}}}'),
  ]);
  assertRpcError(await post(bytes), 400, -32700);
  await assertStillServing();
});

test('attacks_126 NUL bytes in the body give -32700', async () => {
  assertRpcError(await post(Buffer.from('{"jsonrpc":"2.0",\u0000"id":1,"method":"tools/list"}')), 400, -32700);
});

test('wrong Content-Type on POST gives 415', async () => {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    { ...sessionHeaders(), 'content-type': 'text/plain' });
  assert.equal(r.status, 415);
  await assertStillServing();
});

test('attacks_127 slowloris: a trickled request head is cut off while others are served', async () => {
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  let closed = false;
  sock.on('close', () => { closed = true; });
  sock.on('error', () => {});
  const head = 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
  const start = Date.now();
  let i = 0;
  // Send one byte every 100 ms; the head never completes.
  const timer = setInterval(() => { if (!closed) sock.write(head[i++ % head.length]); }, 100);
  // Meanwhile a normal client is served promptly.
  const t0 = Date.now();
  await assertStillServing();
  assert.ok(Date.now() - t0 < 500, 'normal client must not wait for the slow one');
  while (!closed && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 50));
  clearInterval(timer);
  sock.destroy();
  assert.ok(closed, 'the slow connection must be closed by the server');
  assert.ok(Date.now() - start < 3000, `closed after ${Date.now() - start} ms; header timeout is 700 ms`);
});

test('attacks_128 tools/call arguments that violate the inputSchema give -32602', async () => {
  const r = await post(JSON.stringify({
    jsonrpc: '2.0', id: 5, method: 'tools/call',
    params: { name: 'create_event', arguments: { title: 42, start: 'not a date' } },
  }));
  const [msg] = rpcMessages(r);
  assert.equal(msg.id, 5);
  assert.equal(msg.error.code, -32602, r.body);
  await assertStillServing();
});

test('unknown tool gives -32602 and the session stays usable', async () => {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } }));
  const [msg] = rpcMessages(r);
  assert.equal(msg.error.code, -32602);
  await assertStillServing();
});

test('unknown method gives -32601', async () => {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'no/such/method' }));
  const [msg] = rpcMessages(r);
  assert.equal(msg.error.code, -32601);
});
