// Drives one authorization request through the gate's login and consent pages headlessly and
// delivers the result to the client's redirect URI (an HTTP GET, as a browser would).
//
//   node tests/e2e/lib/drive-authorize.mjs AUTHORIZE_URL [USERNAME [PASSWORD [approve|deny]]]
//
// Prints the callback URL with the code redacted; exits 1 if the gate did not redirect back.
import { driveAuthorization, pageText, USERS } from './oauth.mjs';

const [url, username = 'alice', password = USERS[username], decision = 'approve'] = process.argv.slice(2);
if (!url) {
  console.error('usage: drive-authorize.mjs AUTHORIZE_URL [USERNAME [PASSWORD [approve|deny]]]');
  process.exit(2);
}
const result = await driveAuthorization(url, { username, password, decision });
if (!result.callback) {
  const f = result.final;
  console.error(`drive-authorize: stopped on a page (HTTP ${f?.status}): ${pageText(f?.html ?? '').slice(0, 500)}`);
  console.error(`drive-authorize: pages seen: ${result.pages.map((p) => `${p.kind}@${p.status}`).join(', ')}`);
  process.exit(1);
}
const shown = new URL(result.callback);
if (shown.searchParams.has('code')) shown.searchParams.set('code', '[redacted]');
console.log(`drive-authorize: pages ${result.pages.map((p) => p.kind).join(' → ')}; redirected to ${shown}`);
const res = await fetch(result.callback, { redirect: 'manual' });
await res.arrayBuffer();
console.log(`drive-authorize: callback delivered (HTTP ${res.status})`);
process.exit(res.status < 400 ? 0 : 1);
