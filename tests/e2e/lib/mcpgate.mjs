// Starts a real mcpgate process for a test and talks raw HTTP to it.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import net from 'node:net';
import http from 'node:http';

export const BIN = resolve(process.env.MCPGATE_BIN ?? 'build/release/mcpgate');

export async function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// MCPGATE_E2E_STORE=postgres runs every server on PostgreSQL (run-all.sh sets it for the OAuth
// suites' second pass): each start gets a fresh database on the cluster at MCPGATE_TEST_PG_URL
// (scripts/pg-test-cluster), dropped when the server stops. The URL is passed with --store and
// also written into the config's `store:` section, so operator commands the tests run with the
// same --config (`mcpgate keys rotate`) reach the same database.
const PG_E2E = process.env.MCPGATE_E2E_STORE === 'postgres';

function psql(adminUrl, sql) {
  execFileSync('psql', [adminUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
}

// Creates a database next to the one MCPGATE_TEST_PG_URL names; returns {url, drop()}.
export function freshPgDatabase() {
  const admin = process.env.MCPGATE_TEST_PG_URL;
  if (!admin) throw new Error('MCPGATE_E2E_STORE=postgres needs MCPGATE_TEST_PG_URL (scripts/pg-test-cluster start)');
  const m = admin.match(/^(postgres(?:ql)?:\/\/[^/]*\/)([^?]*)(\?.*)?$/);
  if (!m) throw new Error('MCPGATE_TEST_PG_URL must be postgresql://HOST/DATABASE[?...]');
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  psql(admin, `CREATE DATABASE ${name}`);
  return {
    url: `${m[1]}${name}${m[3] ?? ''}`,
    drop: () => {
      try { psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* cluster gone */ }
    },
  };
}

// Starts `mcpgate serve` with the given YAML text (the listen address is set here).
// `yaml` may also be a function of the chosen port, for configs that must name their own
// address (server.public_url, auth.issuer).
// Options: `store` (a store URL passed with --store; the caller owns that database, and
// MCPGATE_E2E_STORE is then ignored), `files` ({path relative to the server's temporary folder:
// contents}, written before the start, e.g. {'data/master.key': key} for a replica), `dir` (the
// folder of a server stopped with stop({ keep: true }): started again on its data, config
// rewritten — a restart).
export async function startServer(yaml, { env = {}, port: wantedPort, store, files = {}, dir: reuse } = {}) {
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'mcpgate-e2e-'));
  const config = join(dir, 'config.yaml');
  const port = wantedPort ?? await freePort();
  let text = typeof yaml === 'function' ? yaml(port) : yaml;
  const args = ['serve', '--config', config, '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')];
  if (store) args.push('--store', store);
  for (const [rel, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, rel), contents, { mode: 0o600 });
  }
  const pg = PG_E2E && !store ? freshPgDatabase() : null;
  if (pg) {
    if (/^store:/m.test(text)) throw new Error('MCPGATE_E2E_STORE=postgres: the test config has its own store: section');
    text = `${text.replace(/\n*$/, '\n')}store:\n  kind: postgres\n  url: ${JSON.stringify(pg.url)}\n`;
    args.push('--store', pg.url);
  }
  writeFileSync(config, text);
  const cleanup = () => {
    if (!process.env.MCPGATE_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    if (pg && !process.env.MCPGATE_E2E_KEEP) pg.drop();
  };
  const proc = spawn(BIN, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  proc.stdout.on('data', (d) => { logs += d; });
  proc.stderr.on('data', (d) => { logs += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) {
      cleanup();
      throw new Error(`mcpgate exited early: ${logs}`);
    }
    try {
      const r = await request(port, { method: 'GET', path: '/healthz' });
      if (r.status === 200) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      cleanup();
      throw new Error(`mcpgate did not start: ${logs}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    pid: proc.pid,
    url: `http://127.0.0.1:${port}/mcp`,
    dir,
    logs: () => logs,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    signal: (sig) => proc.kill(sig),
    // Stops the process (SIGTERM, then SIGKILL after 10 s) and removes its temporary directory
    // (config and data) and its PostgreSQL database unless MCPGATE_E2E_KEEP is set, or `keep`
    // (to start it again with startServer(yaml, { dir: server.dir })).
    async stop({ keep = false } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const result = await exited;
      clearTimeout(timer);
      if (!keep) cleanup();
      return result;
    },
  };
}

// One HTTP request with full control of headers (including Host). Resolves to
// {status, headers, body (string), json (parsed or undefined)}.
export function request(port, { method = 'POST', path = '/mcp', headers = {}, body } = {}) {
  return new Promise((res, rej) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        res({ status: r.statusCode, headers: r.headers, body: text, json });
      });
      r.on('error', rej);
    });
    req.on('error', rej);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

// initialize + notifications/initialized (2025-11-25 era); returns the session id.
export async function initSession(port) {
  const init = await request(port, {
    headers: MCP_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
    }),
  });
  if (init.status !== 200) throw new Error(`initialize failed: ${init.status} ${init.body}`);
  const sid = init.headers['mcp-session-id'];
  const note = await request(port, {
    headers: { ...MCP_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  if (note.status !== 202) throw new Error(`initialized failed: ${note.status}`);
  return sid;
}

// Parses a JSON-RPC response from a JSON or SSE body.
export function rpcMessages(r) {
  if ((r.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    return r.body.split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter((d) => d.length > 0)
      .map((d) => JSON.parse(d));
  }
  return r.json === undefined ? [] : [r.json];
}
