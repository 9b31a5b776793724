// CLI parity for the admin plane (issue 9 item 4): `mcpgate admin <command>` exists for every
// operation of the running gate's OpenAPI document with an option for each of its parameters,
// and the commands really call the Admin API with an admin token from the gate's own
// authorization server (output, exit codes, refusals). One gate for the whole file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { demoYaml } from './lib/demo_gate.mjs';
import { BIN, startServer } from './lib/mcpgate.mjs';
import { getTokens } from './lib/oauth.mjs';

const CLIENT = 'calendar-assistant';
const REDIRECT = 'http://127.0.0.1/callback';

let gate;
let base;
let doc;

before(async () => {
  gate = await startServer(`${demoYaml().replace(/\n*$/, '\n')}admin:\n  enabled: true\n`);
  base = `http://127.0.0.1:${gate.port}`;
  Object.assign(gate, { base, issuer: base, resource: `${base}/mcp` });
  doc = await (await fetch(`${base}/admin/openapi.json`)).json();
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

const adminToken = async (username, scope) => (await getTokens(gate, {
  client_id: CLIENT, redirect_uri: REDIRECT, scope, username, resource: `${base}/admin`,
})).access_token;

const kebab = (id) => id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const option = (name) => `--${name.replace(/_/g, '-')}`;

// Runs `mcpgate admin ...`; the token goes in the environment unless `env` says otherwise.
function cli(args, { token, env = {} } = {}) {
  const r = spawnSync(BIN, ['admin', ...args], {
    encoding: 'utf8',
    timeout: 20000,
    env: { PATH: process.env.PATH, MCPGATE_URL: base, ...(token ? { MCPGATE_ADMIN_TOKEN: token } : {}), ...env },
  });
  let json;
  try { json = JSON.parse(r.stdout); } catch { json = undefined; }
  return { code: r.status, out: r.stdout, err: r.stderr, json };
}

describe('mcpgate admin (CLI parity)', { timeout: 90000 }, () => {
  let alice;
  let bob;

  before(async () => {
    alice = await adminToken('alice', 'admin:read admin:write');
    bob = await adminToken('bob', 'admin:write');
  });

  test('every operation of the OpenAPI document is a command with an option per parameter', () => {
    const help = cli(['--help']);
    assert.equal(help.code, 0, help.err);
    let ops = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) {
        ops += 1;
        const name = kebab(op.operationId);
        assert.match(help.out, new RegExp(`^\\s+${name}\\s`, 'm'), `no command ${name}`);
        const sub = cli([name, '--help']);
        assert.equal(sub.code, 0, `${name} --help: ${sub.err}`);
        const params = (op.parameters ?? []).map((p) => p.name);
        const body = op.requestBody?.content?.['application/json']?.schema?.properties ?? {};
        for (const p of [...params, ...Object.keys(body)]) {
          assert.ok(sub.out.includes(option(p)), `${name} has no ${option(p)} (${path})`);
        }
      }
    }
    assert.ok(ops >= 7, `${ops} operations`);
  });

  test('commands call the gate: list, get, deactivate with a reason, reactivate', async () => {
    const list = cli(['list-users', '--limit', '1'], { token: alice });
    assert.equal(list.code, 0, list.err);
    assert.equal(list.json.items.length, 1);
    assert.equal(typeof list.json.next_cursor, 'string');
    const page2 = cli(['list-users', '--limit', '1', '--cursor', list.json.next_cursor], { token: alice });
    assert.equal(page2.code, 0, page2.err);
    assert.notEqual(page2.json.items[0].id, list.json.items[0].id);

    const off = cli(['deactivate-user', '--user-id', 'bob', '--reason', 'cli: offboarding'], { token: alice });
    assert.equal(off.code, 0, off.err);
    assert.equal(off.json.user.disabled, true);
    const get = cli(['get-user', '--user-id', 'bob'], { token: alice });
    assert.equal(get.json.disabled, true);
    const on = cli(['reactivate-user', '--user-id', 'bob'], { token: alice });
    assert.equal(on.code, 0, on.err);
    assert.equal(on.json.was_disabled, true);
    // The reason reached the gate's admin_call line (the log is written asynchronously).
    const logged = () => gate.logs().split('\n').some((l) => l.includes('"deactivateUser"') && l.includes('cli: offboarding'));
    for (let i = 0; i < 50 && !logged(); i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.ok(logged(), 'no admin_call line with the reason');
  });

  test('the token may come from a file; it never appears in the output or the log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpgate-cli-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${alice}\n`, { mode: 0o600 });
    const r = cli(['get-user', '--user-id', 'alice', '--token-file', file]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json.id, 'alice');
    assert.ok(!r.out.includes(alice) && !r.err.includes(alice));
    assert.ok(!gate.logs().includes(alice));
  });

  test('refusals and bad input: exit 1 for the gate saying no, 2 for usage and credentials', async () => {
    bob = await adminToken('bob', 'admin:write'); // the deactivation above revoked his token
    const forbidden = cli(['list-users'], { token: bob });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.err, /HTTP 403 forbidden: listUsers needs can_read_users on organization:default/);
    const missing = cli(['get-user', '--user-id', 'nobody'], { token: alice });
    assert.equal(missing.code, 1);
    assert.match(missing.err, /HTTP 404 not_found/);
    const noToken = cli(['list-users']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.err, /no admin token/);
    const badToken = cli(['list-users'], { token: 'not-a-token' });
    assert.equal(badToken.code, 2);
    assert.match(badToken.err, /HTTP 401 invalid_token/);
    // Checked before anything is sent: a path-like id, a bad limit, an over-long reason.
    const calls = () => gate.logs().split('\n').filter((l) => l.includes('"admin_call"')).length;
    await new Promise((r) => setTimeout(r, 1500)); // the asynchronous log catches up
    const before = calls();
    for (const args of [
      ['get-user', '--user-id', '../clients'],
      ['list-users', '--limit', 'ten'],
      ['list-users', '--limit', '0'],
      ['deactivate-user', '--user-id', 'bob', '--reason', 'x'.repeat(300)],
    ]) {
      const r = cli(args, { token: alice });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /must be|is required/);
    }
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(calls(), before, 'a malformed command reached the gate');
    assert.notEqual(cli(['get-user'], { token: alice }).code, 0); // --user-id is required
    const unreachable = cli(['list-users', '--url', 'http://127.0.0.1:1'], { token: alice });
    assert.equal(unreachable.code, 2);
    assert.ok(!cli(['get-user', '--user-id', 'bob'], { token: alice }).json.disabled);
  });
});
