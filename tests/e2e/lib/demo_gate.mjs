// examples/demo.yaml as the end-to-end suites serve it: the shipped file with the suites'
// passwords (lib/oauth.mjs drives the login form with USERS), the policy store file by absolute
// path (the config is copied to a temporary folder) and, optionally, the OpenFGA-compatible
// management API on. One place, so a change to demo.yaml's shape fails here with a clear message.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { USERS } from './oauth.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// The environment variable that carries the management API's token (authz.api.token_env).
export const API_TOKEN_ENV = 'MCPGATE_E2E_AUTHZ_TOKEN';

// `policyFile`: the store file to serve (default: examples/demo-policy.fga.yaml); `api`: turn the
// management API on (its token then comes from API_TOKEN_ENV in the server's environment).
export function demoYaml({ policyFile = path.join(repoRoot, 'examples/demo-policy.fga.yaml'), api = false } = {}) {
  let text = readFileSync(path.join(repoRoot, 'examples/demo.yaml'), 'utf8');
  assert.ok(text.includes('alice-demo-pass') && text.includes('bob-demo-pass'), 'examples/demo.yaml: the demo passwords moved');
  assert.ok(text.includes('store_file: demo-policy.fga.yaml'), 'examples/demo.yaml: the authz store_file line moved');
  text = text.replace('alice-demo-pass', USERS.alice).replace('bob-demo-pass', USERS.bob);
  text = text.replace('store_file: demo-policy.fga.yaml',
    `store_file: ${JSON.stringify(policyFile)}${api ? `\n  api:\n    token_env: ${API_TOKEN_ENV}` : ''}`);
  return text;
}

// A client of the management API (the OpenFGA-compatible /stores routes) of `gate` ({base}):
// (method, path, body?) → {status, json, body}.
export function policyApi(gate, token) {
  return async (method, pathname, body) => {
    const res = await fetch(new URL(pathname, gate.base), {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, body: text };
  };
}
