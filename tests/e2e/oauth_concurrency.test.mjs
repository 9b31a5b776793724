// Races on single-use credentials (ATTACKS rows 18 and 29): 50 parallel refreshes of one refresh
// token and 50 parallel exchanges of one authorization code each give exactly one success; the
// rest are invalid_grant, and no second token family is forked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  startAuthGate, registerPublicClient, obtainCode, exchangeCode, refresh, getTokens, mcpPost, within,
} from './lib/oauth.mjs';

const N = 50;
const REDIRECT = 'http://127.0.0.1:53700/cb';

let gate;
let client;

before(async () => {
  gate = await startAuthGate();
  client = await registerPublicClient(gate, [REDIRECT]);
});
after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

const opts = () => ({ client_id: client.client_id, redirect_uri: REDIRECT });

function tally(results) {
  const ok = results.filter((r) => r.status === 200);
  const other = results.filter((r) => r.status !== 200);
  const summary = {};
  for (const r of other) {
    const k = `${r.status} ${r.json?.error ?? r.body.slice(0, 60)}`;
    summary[k] = (summary[k] ?? 0) + 1;
  }
  return { ok, other, summary };
}

const rsStatus = async (token) => (await mcpPost(gate, {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
}, { token })).status;

describe('concurrent use of single-use credentials', { timeout: 120000 }, () => {
  test(`attacks_029_concurrent_refresh: ${N} parallel refreshes of one refresh token → exactly one success`, async () => {
    const tokens = await getTokens(gate, opts());
    const results = await Promise.all(
      Array.from({ length: N }, () => refresh(gate, tokens.refresh_token, { client_id: client.client_id })),
    );
    const { ok, other, summary } = tally(results);
    assert.equal(ok.length, 1, `expected exactly one successful refresh, got ${ok.length}; others: ${JSON.stringify(summary)}`);
    for (const r of other) {
      assert.equal(r.status, 400, `losers must get 400 invalid_grant: ${JSON.stringify(summary)}`);
      assert.equal(r.json?.error, 'invalid_grant', `losers must get invalid_grant: ${JSON.stringify(summary)}`);
    }
    // The 49 losers presented an already-rotated refresh token: that is reuse (RFC 9700 §4.14.2),
    // so the family is revoked, including the winner's new refresh token. No fork survives.
    const winner = ok[0].json;
    assert.ok(winner.refresh_token && winner.refresh_token !== tokens.refresh_token, 'the winner got no rotated refresh token');
    const again = await refresh(gate, winner.refresh_token, { client_id: client.client_id });
    assert.equal(again.status, 400, `the winner's refresh token should be dead after reuse was detected: ${again.status} ${again.body}`);
    assert.equal(again.json?.error, 'invalid_grant');
  });

  test(`attacks_018_concurrent_code_exchange: ${N} parallel exchanges of one code → exactly one success`, async () => {
    const got = await obtainCode(gate, opts());
    assert.ok(got.code, `no code: ${got.callback ?? got.result.final?.status}`);
    const results = await Promise.all(Array.from({ length: N }, () => exchangeCode(gate, got, opts())));
    const { ok, other, summary } = tally(results);
    assert.equal(ok.length, 1, `expected exactly one successful exchange, got ${ok.length}; others: ${JSON.stringify(summary)}`);
    for (const r of other) {
      assert.equal(r.status, 400, `losers must get 400 invalid_grant: ${JSON.stringify(summary)}`);
      assert.equal(r.json?.error, 'invalid_grant', `losers must get invalid_grant: ${JSON.stringify(summary)}`);
    }
    // A replayed code revokes the grant (contract: "replay revokes the grant"): the winner's
    // refresh token is dead and its access token is refused within 1 s.
    const winner = ok[0].json;
    const r = await refresh(gate, winner.refresh_token, { client_id: client.client_id });
    assert.equal(r.json?.error, 'invalid_grant', `winner's refresh token after code replay: ${r.status} ${r.body}`);
    const ms = await within(1000, async () => (await rsStatus(winner.access_token)) === 401);
    assert.ok(ms >= 0, "the winner's access token is still accepted 1 s after the code was replayed");
  });
});
