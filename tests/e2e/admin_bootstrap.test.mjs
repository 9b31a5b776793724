// The bootstrap admin credential (issue 9) end to end: demo.yaml with the Admin API on and a
// policy store WITHOUT any administrator, so the gate makes a one-time token in its data
// directory; it makes alice the first administrator once, and is then gone for good (file
// deleted, token refused, not re-made by a restart). One gate for the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { demoYaml, repoRoot } from './lib/demo_gate.mjs';
import { startServer } from './lib/mcpgate.mjs';
import { getTokens } from './lib/oauth.mjs';

const CLIENT = 'calendar-assistant';
const REDIRECT = 'http://127.0.0.1/callback';

let gate;
let yaml;
let policyDir;

before(async () => {
  // The demo policy store minus the tuple that makes alice an administrator, its model by
  // absolute path (the store file is written to a temporary folder).
  const shipped = readFileSync(join(repoRoot, 'examples/demo-policy.fga.yaml'), 'utf8');
  const adminTuple = '  - {user: "user:alice", relation: admin, object: "organization:default"}\n';
  assert.ok(shipped.includes(adminTuple), 'examples/demo-policy.fga.yaml: the admin tuple moved');
  const policy = shipped.replace(adminTuple, '').replace(/\ntests:[\s\S]*$/, '\n'); // its tests assert alice's role
  // Beside a copy of the model: the store file's model_file is relative.
  policyDir = mkdtempSync(join(tmpdir(), 'mcpgate-e2e-bootstrap-'));
  const policyFile = join(policyDir, 'demo-policy.fga.yaml');
  writeFileSync(policyFile, policy);
  writeFileSync(join(policyDir, 'demo-policy.fga'), readFileSync(join(repoRoot, 'examples/demo-policy.fga')));
  yaml = `${demoYaml({ policyFile }).replace(/\n*$/, '\n')}admin:\n  enabled: true\n`;
  const srv = await startServer(yaml);
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp`, policyFile });
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

const post = async (token, body, headers = {}) => {
  const res = await fetch(new URL('/admin/bootstrap', gate.base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text, json: text ? JSON.parse(text) : undefined };
};

test('the bootstrap token makes the first administrator once, then is gone for good', { timeout: 60000 }, async () => {
  const file = join(gate.dir, 'data', 'admin-bootstrap.token');
  assert.ok(existsSync(file), 'no bootstrap token file');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  assert.ok(token.length >= 40);
  assert.ok(!gate.logs().includes(token), 'the token is in the log');

  const alice = (await getTokens(gate, {
    client_id: CLIENT, redirect_uri: REDIRECT, scope: 'admin:read admin:write', username: 'alice', resource: `${gate.base}/admin`,
  })).access_token;
  const users = () => fetch(new URL('/admin/api/v1/users', gate.base), { headers: { authorization: `Bearer ${alice}` } });
  assert.equal((await users()).status, 403); // nobody administers anything yet

  assert.equal((await post('', { user_id: 'alice' })).status, 401);
  assert.equal((await post(`${token}x`, { user_id: 'alice' })).status, 401);
  assert.equal((await post(token, '{"user_id":')).status, 400);
  assert.equal((await post(token, { user_id: 'nobody' })).status, 404);
  const ok = await post(token, { user_id: 'alice' });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.user_id, 'alice');
  assert.equal((await users()).status, 200); // alice is an administrator now
  assert.ok(!existsSync(file), 'the token file is still there');
  assert.equal((await post(token, { user_id: 'bob' })).status, 401);

  // A restart on the same data directory makes no new token, and alice stays administrator.
  await gate.stop({ keep: true });
  const again = await startServer(yaml, { dir: gate.dir });
  gate = Object.assign(again, { base: `http://127.0.0.1:${again.port}` });
  assert.ok(!existsSync(file), 'a restart made a new token');
  assert.ok(!again.logs().includes('admin_bootstrap_credential'));
  assert.equal((await post(token, { user_id: 'alice' })).status, 401);
});
