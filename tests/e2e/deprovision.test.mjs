// Deprovisioning across replicas (issue 8, "Done when"; ATTACKS rows 32 and 75). First through
// SCIM (a provisioned user PATCHed `active: false` on replica B), then through the CLI: alice signs in
// through replica A, has live MCP sessions on A and on B and a refresh token; she is deactivated
// (`mcpgate user disable`, a separate process on the shared database, as an operator or the SCIM
// endpoint of any replica would) → within 1 s her next tool call fails on A and on B, her refresh
// is refused on both, and her browser session on A no longer signs her in. Reactivation brings
// her back only through a new sign-in.
//
// Two replicas on one fresh PostgreSQL database; the periodic catch-up is set to 5 s, so the
// 1 s bound holds only through PostgreSQL's change notifications (the revocation list's NOTIFY).
// Runs in tests/e2e/run-all.sh's PostgreSQL part: MCPGATE_TEST_PG_URL names the cluster
// (scripts/pg-test-cluster); without it the file skips (fails with MCPGATE_REQUIRE_PG=1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { BIN, freePort, freshPgDatabase, startServer } from './lib/mcpgate.mjs';
import {
  ALL_SCOPES, STATIC_PUBLIC_CLIENT, USERS, UserAgent, authGateConfig, authorizeUrl, findLoginForm,
  getTokens, initSessionWithToken, parseForms, pkce, refresh, rpc,
} from './lib/oauth.mjs';

const PG_URL = process.env.MCPGATE_TEST_PG_URL;
const REQUIRE_PG = process.env.MCPGATE_REQUIRE_PG === '1';
const CLIENT = STATIC_PUBLIC_CLIENT.client_id;
const REDIRECT = STATIC_PUBLIC_CLIENT.redirect_uris[0];
const BOUND_MS = 1000;

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!PG_URL) {
  if (REQUIRE_PG) {
    test('deprovisioning: MCPGATE_REQUIRE_PG=1 needs MCPGATE_TEST_PG_URL', () => {
      assert.fail('MCPGATE_REQUIRE_PG=1 but MCPGATE_TEST_PG_URL is unset (scripts/pg-test-cluster start)');
    });
  } else {
    test('deprovisioning across replicas', { skip: 'no MCPGATE_TEST_PG_URL (scripts/pg-test-cluster start)' }, () => {});
  }
} else {
  describe('deprovisioning reaches every replica within 1 s', { timeout: 60000 }, () => {
    let db;
    let A;
    let B;
    let gateA;
    let gateB;

    before(async () => {
      db = freshPgDatabase();
      const portA = await freePort();
      const portB = await freePort();
      // One issuer and resource for both (A's URL): tokens from either verify on both.
      const yaml = `${authGateConfig(portA, { logLevel: 'info' })}store:\n  poll_interval_ms: 5000\n`;
      A = await startServer(yaml, { port: portA, store: db.url });
      const masterKey = readFileSync(path.join(A.dir, 'data', 'master.key'));
      B = await startServer(yaml, { port: portB, store: db.url, files: { 'data/master.key': masterKey } });
      const base = `http://127.0.0.1:${portA}`;
      gateA = { port: portA, base, issuer: base, resource: `${base}/mcp` };
      gateB = { port: portB, base: `http://127.0.0.1:${portB}`, issuer: base, resource: `${base}/mcp` };
    });

    after(async () => {
      for (const s of [A, B]) {
        const exit = await s?.stop();
        if (exit && exit.code !== 0) console.log(`exit ${JSON.stringify(exit)}; log tail:\n${s.logs().slice(-2000)}`);
      }
      db?.drop();
    });

    // `mcpgate user <verb> <user>` against the shared database, with A's configuration.
    async function userCommand(verb, user) {
      const { stdout } = await run(BIN, ['user', verb, user, '--config', path.join(A.dir, 'config.yaml'), '--data', path.join(A.dir, 'data'), '--store', db.url]);
      return stdout.trim();
    }

    const callTool = async (gate, token, sid) =>
      rpc(gate, token, sid, 'tools/call', { name: 'list_events', arguments: {} });

    // prompt=none on A with the browser's cookie: a code while the session is good.
    async function silentAuthorize(ua) {
      const { challenge } = await pkce();
      const url = authorizeUrl(gateA, {
        response_type: 'code', client_id: CLIENT, redirect_uri: REDIRECT, scope: ALL_SCOPES.join(' '),
        state: 's', code_challenge: challenge, code_challenge_method: 'S256', resource: gateA.resource, prompt: 'none',
      });
      const res = await ua.fetch(url);
      await res.arrayBuffer();
      return new URL(res.headers.get('location'));
    }

    // One password sign-in through `gate`'s pages: where the login POST sends the browser.
    async function signInLands(gate) {
      const ua = new UserAgent();
      const { challenge } = await pkce();
      const url = authorizeUrl(gate, {
        response_type: 'code', client_id: CLIENT, redirect_uri: REDIRECT, scope: ALL_SCOPES.join(' '),
        state: 's', code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource,
      });
      let current = url;
      let res = await ua.fetch(current);
      for (let hop = 0; hop < 3 && res.status >= 300 && res.status < 400; hop++) {
        await res.arrayBuffer();
        current = new URL(res.headers.get('location'), current);
        res = await ua.fetch(current);
      }
      const login = findLoginForm(parseForms(await res.text(), current));
      assert.ok(login, 'no login form');
      // The form's Origin is the issuer's (behind a load balancer every replica has that one).
      const posted = await ua.submit(login, { username: 'alice', password: USERS.alice }, { origin: new URL(gate.issuer).origin });
      await posted.arrayBuffer();
      const location = posted.headers.get('location') ?? '';
      return location.includes('/login?flow=') ? 'login page' : location;
    }

    // The same through SCIM, as a company's directory deactivates someone: a provisioned user
    // with sessions on both replicas is PATCHed `active: false` on B (the SCIM endpoint of any
    // replica) and her calls fail on A and B within 1 s; her refresh is refused on both.
    test('a user deactivated by SCIM PATCH on B: tool calls on A and B fail within 1 s, refresh refused', async () => {
      const { stdout } = await run(BIN, ['scim', 'token', 'create', '--org', 'default', '--name', 'Okta',
        '--config', path.join(A.dir, 'config.yaml'), '--data', path.join(A.dir, 'data'), '--store', db.url]);
      const directoryToken = /^token: (\S+)$/m.exec(stdout)?.[1];
      assert.ok(directoryToken, stdout);
      const scim = async (gate, method, pathname, body) => {
        const res = await fetch(`${gate.base}/scim/v2${pathname}`, {
          method,
          headers: { authorization: `Bearer ${directoryToken}`, 'content-type': 'application/scim+json' },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text, json: text ? JSON.parse(text) : undefined };
      };
      const password = 'Dora-e2e-Pa55word';
      const created = await scim(gateA, 'POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dora@example.com', active: true, password,
      });
      assert.equal(created.status, 201, created.body);

      const t = await getTokens(gateA, { client_id: CLIENT, redirect_uri: REDIRECT, scope: ALL_SCOPES.join(' '), username: 'dora@example.com', password });
      const sidA = await initSessionWithToken(gateA, t.access_token);
      const sidB = await initSessionWithToken(gateB, t.access_token);
      for (const [name, gate, sid] of [['A', gateA, sidA], ['B', gateB, sidB]]) {
        const ok = await callTool(gate, t.access_token, sid);
        assert.equal(ok.status, 200, `${name} before: ${ok.body}`);
      }

      const off = await scim(gateB, 'PATCH', `/Users/${created.json.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      const committed = Date.now();
      assert.equal(off.status, 200, off.body);
      assert.equal(off.json.active, false, off.body);

      await assertCutOffOnBoth(t, sidA, sidB, committed, 'deprovisioning by SCIM', 'the PATCH response');
    });

    // Calls the tool with `t`'s access token on A and B until both refuse it (401
    // invalid_token; for up to 3 s) and asserts both did within BOUND_MS of `since`; then the
    // refresh token is refused on both (the family is revoked and the user disabled).
    async function assertCutOffOnBoth(t, sidA, sidB, since, what, from) {
      const targets = [['A', gateA, sidA], ['B', gateB, sidB]];
      const refusedAt = {};
      while (Object.keys(refusedAt).length < targets.length && Date.now() - since < 3000) {
        await Promise.all(targets.map(async ([name, gate, sid]) => {
          if (refusedAt[name] !== undefined) return;
          const r = await callTool(gate, t.access_token, sid);
          if (r.status === 401) {
            assert.match(r.headers['www-authenticate'] ?? '', /error="invalid_token"/);
            refusedAt[name] = Date.now() - since;
          } else {
            assert.equal(r.status, 200, `${name}: ${r.body}`);
          }
        }));
        if (Object.keys(refusedAt).length < targets.length) await sleep(10);
      }
      console.log(`# ${what}: next tool call refused on A after ${refusedAt.A} ms, on B after ${refusedAt.B} ms (from ${from})`);
      for (const [name] of targets) {
        assert.ok(refusedAt[name] !== undefined && refusedAt[name] <= BOUND_MS, `${name} refused after ${refusedAt[name]} ms`);
      }
      for (const [name, gate] of [['A', gateA], ['B', gateB]]) {
        const r = await refresh(gate, t.refresh_token, { client_id: CLIENT });
        assert.equal(r.status, 400, `${name} refresh: ${r.body}`);
        assert.equal(r.json?.error, 'invalid_grant', `${name} refresh: ${r.body}`);
      }
    }

    test('a user deactivated through the CLI: tool calls on A and B fail within 1 s, refresh refused, session over', async () => {
      const ua = new UserAgent();
      const t = await getTokens(gateA, { client_id: CLIENT, redirect_uri: REDIRECT, scope: ALL_SCOPES.join(' '), username: 'alice', ua });
      const sidA = await initSessionWithToken(gateA, t.access_token);
      const sidB = await initSessionWithToken(gateB, t.access_token);
      for (const [name, gate, sid] of [['A', gateA, sidA], ['B', gateB, sidB]]) {
        const ok = await callTool(gate, t.access_token, sid);
        assert.equal(ok.status, 200, `${name} before: ${ok.body}`);
        assert.ok(ok.msg?.result && !ok.msg.result.isError, `${name} before: ${ok.body}`);
      }
      assert.ok((await silentAuthorize(ua)).searchParams.get('code'), 'prompt=none gives a code before the deactivation');

      const out = await userCommand('disable', 'alice');
      const committed = Date.now();
      // Two grants: the token's, and the one the prompt=none check above got a code for.
      assert.match(out, /user disable: alice \(usr_[^)]+\): disabled; 2 grants and 1 access tokens revoked/);

      // Both replicas refuse the token within the bound (counted from the commit), and the refresh.
      await assertCutOffOnBoth(t, sidA, sidB, committed, 'deprovisioning', "the CLI's commit");
      // The browser session on A: no silent authorization any more.
      const silent = await silentAuthorize(ua);
      assert.equal(silent.searchParams.get('error'), 'login_required');
      assert.equal(silent.searchParams.get('code'), null);
      // A new sign-in is refused too (on B: the login form comes back).
      assert.equal(await signInLands(gateB), 'login page');

      // Again: idempotent, nothing more to revoke.
      assert.match(await userCommand('disable', 'alice'), /was already disabled; 0 grants/);

      // Reactivation: a new sign-in works; what was revoked stays revoked.
      assert.match(await userCommand('enable', 'alice'), /user enable: alice \(usr_[^)]+\): enabled/);
      // At once: no waiting for the clock to move past the deactivation (sessions carry the
      // user's session epoch).
      const again = await getTokens(gateA, { client_id: CLIENT, redirect_uri: REDIRECT, scope: ALL_SCOPES.join(' '), username: 'alice' });
      const sid = await initSessionWithToken(gateB, again.access_token);
      assert.equal((await callTool(gateB, again.access_token, sid)).status, 200);
      assert.equal((await callTool(gateB, t.access_token, sidB)).status, 401, 'the old token stays revoked');
      assert.equal((await refresh(gateA, t.refresh_token, { client_id: CLIENT })).json?.error, 'invalid_grant');
      assert.equal((await silentAuthorize(ua)).searchParams.get('error'), 'login_required',
        'the browser session from before the deactivation stays dead');
    });
  });
}
