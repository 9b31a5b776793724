// SCIM 2.0 provisioning end to end (issue 8): one gate (examples/demo.yaml with its demo policy,
// the OpenFGA-compatible API on, scim.max_results 5), directory tokens made with the real
// `mcpgate scim token create`, and request sequences shaped like what Okta and Microsoft Entra ID
// send. Every SCIM row of ATTACKS.md (66–75) has a test named after it; provisioned users log in
// through the real OAuth flow, so deactivation is checked on real tokens, and group pushes are
// checked on real authorization decisions (membership tuples in the policy store).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { API_TOKEN_ENV, demoYaml, policyApi } from './lib/demo_gate.mjs';
import { BIN, request, startServer } from './lib/mcpgate.mjs';
import {
  getTokens, initSessionWithToken, noteSecret, refresh, register, rpc, within,
} from './lib/oauth.mjs';

const API_TOKEN = 'e2e-scim-authz-api-token-0123456789abcdef0123456789';
const REDIRECT = 'http://127.0.0.1/callback';
const SCIM_TYPE = 'application/scim+json';
const MAX_RESULTS = 5;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

// demo.yaml as shipped (lib/demo_gate.mjs) with the management API on, a low SCIM page cap and
// two organizations.
function gateConfig() {
  return `${demoYaml({ api: true }).replace(/\n*$/, '\n')}scim:\n  max_results: ${MAX_RESULTS}\n`
    + 'organizations:\n'
    + '  - {id: acme, name: Acme, domains: [acme.example]}\n'
    + '  - {id: globex, name: Globex, domains: [globex.example]}\n';
}

let gate;
let api; // the management API with API_TOKEN
let client; // a dynamically registered public client for provisioned users' logins
const tokens = {}; // directory tokens by organization

function scimCli(...args) {
  return execFileSync(BIN, ['scim', 'token', ...args, '--config', path.join(gate.dir, 'config.yaml'),
    '--data', path.join(gate.dir, 'data')]).toString();
}

function createDirectoryToken(org, name) {
  const out = scimCli('create', '--org', org, '--name', name);
  const token = /^token: (\S+)$/m.exec(out)?.[1];
  const directory = /^directory: (\S+)$/m.exec(out)?.[1];
  assert.ok(token && directory, out);
  noteSecret(`scim token ${org}`, token);
  return { token, directory };
}

before(async () => {
  const srv = await startServer(gateConfig(), { env: { [API_TOKEN_ENV]: API_TOKEN } });
  const base = `http://127.0.0.1:${srv.port}`;
  gate = Object.assign(srv, { base, issuer: base, resource: `${base}/mcp` });
  api = policyApi(gate, API_TOKEN);
  tokens.acme = createDirectoryToken('acme', 'Okta').token;
  // Sign-in resolves users in the default organization (until home-realm discovery routes by
  // email domain), so the users that log in here are provisioned there, with a domain no
  // organization claims.
  tokens.default = createDirectoryToken('default', 'Okta for the default organization').token;
  tokens.globex = createDirectoryToken('globex', 'Entra ID').token;
  const reg = await register(gate, {
    client_name: 'e2e scim agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  });
  assert.equal(reg.status, 201, reg.body);
  client = reg.json.client_id;
});

after(async () => {
  const exit = await gate?.stop();
  if (exit && exit.code !== 0) console.log(`gate exit ${JSON.stringify(exit)}; log tail:\n${gate.logs().slice(-3000)}`);
});

// One SCIM request. `body` objects are sent as application/scim+json; `raw` as given.
async function scim(method, pathname, { token = tokens.acme, body, raw, headers = {} } = {}) {
  const h = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers };
  let payload;
  if (raw !== undefined) {
    payload = raw;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= SCIM_TYPE;
  }
  if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
  return request(gate.port, { method, path: `/scim/v2${pathname}`, headers: h, body: payload });
}

const q = (s) => encodeURIComponent(s);

function assertScimError(r, status, scimType) {
  assert.equal(r.status, status, r.body);
  assert.match(r.headers['content-type'] ?? '', /^application\/scim\+json/);
  assert.deepEqual(r.json?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], r.body);
  assert.equal(r.json.status, String(status), r.body);
  if (scimType) assert.equal(r.json.scimType, scimType, r.body);
}

async function createUser(userName, extra = {}, token = tokens.acme) {
  const r = await scim('POST', '/Users', {
    token, body: { schemas: [USER_SCHEMA], userName, active: true, ...extra },
  });
  assert.equal(r.status, 201, r.body);
  return r.json;
}

// A provisioned user's tokens through the real login and consent pages.
async function login(userName, password) {
  return getTokens(gate, { client_id: client, redirect_uri: REDIRECT, scope: 'calendar:read', username: userName, password });
}

async function callTool(token, sid) {
  return rpc(gate, token, sid, 'tools/call', { name: 'get_availability', arguments: { date: '2026-12-01' } });
}

describe('Okta', () => {
  test('probe, existence check, create, read, full update, deactivate (Okta request sequence)', async () => {
    // Provisioning setup probes.
    const probe = await scim('GET', '/Users?startIndex=1&count=2', { token: tokens.default, headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } });
    assert.equal(probe.status, 200, probe.body);
    assert.match(probe.headers['content-type'], /^application\/scim\+json/);
    assert.deepEqual(probe.json.schemas, ['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
    const groups = await scim('GET', '/Groups?startIndex=1&count=100', { token: tokens.default });
    assert.equal(groups.status, 200, groups.body);
    // Existence check before a create: an empty list, not a 404.
    const none = await scim('GET', `/Users?filter=${q('userName eq "dana@example.com"')}&startIndex=1&count=100`, { token: tokens.default });
    assert.equal(none.status, 200, none.body);
    assert.equal(none.json.totalResults, 0);
    assert.deepEqual(none.json.Resources, []);

    const created = await scim('POST', '/Users', {
      token: tokens.default,
      body: {
        schemas: [USER_SCHEMA], userName: 'dana@example.com', name: { givenName: 'Dana', familyName: 'Scully' },
        emails: [{ primary: true, value: 'dana@example.com', type: 'work' }], displayName: 'Dana Scully',
        locale: 'en-US', externalId: '00u1dana', groups: [], password: 'Dana-e2e-Pa55word', active: true,
      },
    });
    assert.equal(created.status, 201, created.body);
    const id = created.json.id;
    assert.ok(id);
    assert.equal(created.headers.location, `${gate.base}/scim/v2/Users/${id}`);
    assert.equal(created.json.meta.location, created.headers.location);
    assert.equal(created.json.meta.resourceType, 'User');
    assert.equal(created.json.meta.version, 'W/"1"');
    assert.equal(created.headers.etag, 'W/"1"');
    assert.ok(created.json.meta.created && created.json.meta.lastModified);
    assert.equal(created.json.password, undefined, 'password is never returned');

    const got = await scim('GET', `/Users/${id}`, { token: tokens.default });
    assert.equal(got.status, 200, got.body);
    assert.equal(got.json.userName, 'dana@example.com');
    assert.equal(got.json.active, true);
    assert.equal(got.json.password, undefined);
    const found = await scim('GET', `/Users?filter=${q('userName eq "DANA@example.com"')}&startIndex=1&count=100`, { token: tokens.default });
    assert.equal(found.json.totalResults, 1);
    assert.equal(found.json.Resources[0].id, id);

    // Profile updates come as PUT.
    const put = await scim('PUT', `/Users/${id}`, {
      token: tokens.default,
      body: { ...got.json, name: { givenName: 'Dana', familyName: 'Mulder' }, displayName: 'Dana Mulder' },
    });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.json.name.familyName, 'Mulder');
    assert.equal(put.json.meta.version, 'W/"2"');
    // The password survives a PUT without one: the user can still log in.
    const t = await login('dana@example.com', 'Dana-e2e-Pa55word');
    assert.ok(t.access_token);

    // Deactivation: PATCH without a path.
    const off = await scim('PATCH', `/Users/${id}`, {
      token: tokens.default,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    assert.equal(off.status, 200, off.body);
    assert.equal(off.json.active, false);
    // Still listed and readable, with active false.
    const listed = await scim('GET', `/Users?filter=${q('userName eq "dana@example.com"')}`, { token: tokens.default });
    assert.equal(listed.json.Resources[0].active, false);
  });

  test('group push: create, add and remove members, rename, delete', async () => {
    const u1 = await createUser('push1@acme.example');
    const u2 = await createUser('push2@acme.example');
    const g = await scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Push Group', members: [] } });
    assert.equal(g.status, 201, g.body);
    const gid = g.json.id;
    const add = await scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u1.id, display: 'push1' }, { value: u2.id }] }] },
    });
    assert.equal(add.status, 200, add.body);
    assert.deepEqual(add.json.members.map((m) => m.value).sort(), [u1.id, u2.id].sort());
    assert.equal(add.json.members.find((m) => m.value === u1.id).display, 'push1@acme.example');
    const remove = await scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: u2.id }] }] },
    });
    assert.equal(remove.status, 200, remove.body);
    assert.deepEqual(remove.json.members.map((m) => m.value), [u1.id]);
    const rename = await scim('PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Pushed Group' } }] },
    });
    assert.equal(rename.status, 200, rename.body);
    assert.equal(rename.json.displayName, 'Pushed Group');
    const del = await scim('DELETE', `/Groups/${gid}`);
    assert.equal(del.status, 204, del.body);
    assertScimError(await scim('GET', `/Groups/${gid}`), 404);
  });
});

describe('Microsoft Entra ID', () => {
  test('externalId lookup, create with the enterprise extension, capitalised ops, string booleans, filtered email paths', async () => {
    const lookup = await scim('GET', `/Users?filter=${q('externalId eq "8a2b-entra"')}`, { token: tokens.globex });
    assert.equal(lookup.status, 200, lookup.body);
    assert.equal(lookup.json.totalResults, 0);
    const created = await scim('POST', '/Users', {
      token: tokens.globex,
      headers: { 'content-type': 'application/json' },
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE], externalId: '8a2b-entra', userName: 'erin@globex.example', active: 'True',
        emails: [{ primary: true, type: 'work', value: 'erin@globex.example' }],
        name: { givenName: 'Erin', familyName: 'Hannon' },
        [ENTERPRISE]: { employeeNumber: '701', department: 'Sales', manager: { value: '' } },
      },
    });
    assert.equal(created.status, 201, created.body);
    assert.equal(created.json.active, true, 'the string "True" is a boolean');
    const id = created.json.id;
    const byExternal = await scim('GET', `/Users?filter=${q('externalId eq "8a2b-entra"')}`, { token: tokens.globex });
    assert.equal(byExternal.json.totalResults, 1);
    assert.equal(byExternal.json.Resources[0].id, id);

    const patched = await scim('PATCH', `/Users/${id}`, {
      token: tokens.globex,
      body: {
        schemas: [PATCH_OP], Operations: [
          { op: 'Replace', path: 'displayName', value: 'Erin H.' },
          { op: 'Add', path: 'emails[type eq "work"].value', value: 'erin.hannon@globex.example' },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Reception' },
        ],
      },
    });
    assert.equal(patched.status, 200, patched.body);
    assert.equal(patched.json.displayName, 'Erin H.');
    assert.deepEqual(patched.json.emails.map((e) => e.value), ['erin.hannon@globex.example']);
    assert.equal(patched.json[ENTERPRISE].department, 'Reception');
    const byEmail = await scim('GET', `/Users?filter=${q('emails[type eq "work" and value eq "Erin.Hannon@globex.example"]')}`, { token: tokens.globex });
    assert.equal(byEmail.json.totalResults, 1, byEmail.body);

    // Group lookup without members, membership test, PATCH Add members.
    const g = await scim('POST', '/Groups', { token: tokens.globex, body: { schemas: [GROUP_SCHEMA], displayName: 'Sales', externalId: 'grp-sales' } });
    assert.equal(g.status, 201, g.body);
    const gl = await scim('GET', `/Groups?excludedAttributes=members&filter=${q('displayName eq "Sales"')}`, { token: tokens.globex });
    assert.equal(gl.json.totalResults, 1);
    assert.equal(gl.json.Resources[0].members, undefined);
    const addm = await scim('PATCH', `/Groups/${g.json.id}`, {
      token: tokens.globex,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] },
    });
    assert.equal(addm.status, 200, addm.body);
    const member = await scim('GET', `/Groups?filter=${q(`id eq "${g.json.id}" and members eq "${id}"`)}&attributes=id`, { token: tokens.globex });
    assert.equal(member.json.totalResults, 1, member.body);
    assert.deepEqual(Object.keys(member.json.Resources[0]).sort(), ['id', 'schemas']);

    // Soft delete with the string "False"; the validator reads it back by GET and by filter.
    const off = await scim('PATCH', `/Users/${id}`, {
      token: tokens.globex,
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    assert.equal(off.status, 200, off.body);
    assert.equal(off.json.active, false);
    assert.equal((await scim('GET', `/Users/${id}`, { token: tokens.globex })).json.active, false);
    const inactive = await scim('GET', `/Users?filter=${q('active eq false and userName eq "erin@globex.example"')}`, { token: tokens.globex });
    assert.equal(inactive.json.totalResults, 1);
    // The hard delete a month later.
    assert.equal((await scim('DELETE', `/Users/${id}`, { token: tokens.globex })).status, 204);
    assertScimError(await scim('GET', `/Users/${id}`, { token: tokens.globex }), 404);
  });
});

describe('discovery', () => {
  test('ServiceProviderConfig, Schemas and ResourceTypes', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    assert.equal(spc.status, 200, spc.body);
    assert.equal(spc.json.patch.supported, true);
    assert.equal(spc.json.bulk.supported, false);
    assert.equal(spc.json.filter.maxResults, MAX_RESULTS);
    assert.equal(spc.json.etag.supported, true);
    assert.equal(spc.json.authenticationSchemes[0].type, 'oauthbearertoken');
    const schemas = await scim('GET', '/Schemas');
    assert.deepEqual(schemas.json.Resources.map((s) => s.id).sort(), [ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA].sort());
    const one = await scim('GET', `/Schemas/${USER_SCHEMA}`);
    assert.equal(one.status, 200, one.body);
    assert.ok(one.json.attributes.some((a) => a.name === 'userName'));
    const types = await scim('GET', '/ResourceTypes');
    assert.deepEqual(types.json.Resources.map((t) => t.id).sort(), ['Group', 'User']);
    assert.equal((await scim('GET', '/ResourceTypes/User')).json.endpoint, '/Users');
    assertScimError(await scim('GET', '/ResourceTypes/Device'), 404);
    assertScimError(await scim('GET', '/Bulk'), 404);
  });
});

describe('ATTACKS rows 66-75', () => {
  test('attacks_066_filter_errors: unterminated, unknown operator, deep nesting, oversized → 400 invalidFilter', async () => {
    for (const filter of [
      'userName eq', 'userName eq "unterminated', 'userName zz "x"', 'userName eq "x" and', '((userName eq "x")',
      `${'('.repeat(40)}userName eq "x"${')'.repeat(40)}`, `${'not ('.repeat(40)}userName eq "x"${')'.repeat(40)}`,
      `userName eq "${'a'.repeat(5000)}"`, 'noSuchAttribute eq "x"', 'active gt true', 'name eq "x"', 'meta.created co "2020"',
      'userName eq "x" or 1=1', "userName eq 'x'", 'userName eq "x"; DROP TABLE users', 'userName eq "\\u0000"',
    ]) {
      const r = await scim('GET', `/Users?filter=${q(filter)}`);
      assert.equal(r.status, 400, `${filter.slice(0, 60)}: ${r.body}`);
      assertScimError(r, 400, 'invalidFilter');
    }
    // A quote-breaking value is a value: no match, no error.
    const r = await scim('GET', `/Users?filter=${q('userName eq "x\' OR \'1\'=\'1"')}`);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.totalResults, 0);
  });

  test('attacks_067_entra_pascal_case_ops_and_string_booleans: accepted', async () => {
    const u = await createUser('row67@acme.example');
    const r = await scim('PATCH', `/Users/${u.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }, { op: 'Add', path: 'title', value: 'Clerk' }] },
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.active, false);
    assert.equal(r.json.title, 'Clerk');
    const back = await scim('PATCH', `/Users/${u.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'REPLACE', value: { active: 'true' } }] },
    });
    assert.equal(back.json.active, true);
  });

  test('attacks_068_okta_patch_without_path: accepted', async () => {
    const u = await createUser('row68@acme.example');
    const r = await scim('PATCH', `/Users/${u.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { 'name.givenName': 'Sixty', nickName: 'Eight', active: false } }] },
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.name.givenName, 'Sixty');
    assert.equal(r.json.nickName, 'Eight');
    assert.equal(r.json.active, false);
    // remove without a path has no target.
    assertScimError(await scim('PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'remove' }] } }), 400, 'noTarget');
  });

  test('attacks_069_members_value_filter_remove: works', async () => {
    const a = await createUser('row69a@acme.example');
    const b = await createUser('row69b@acme.example');
    const g = await scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Row 69', members: [{ value: a.id }, { value: b.id }] } });
    assert.equal(g.status, 201, g.body);
    assert.equal(g.json.members.length, 2);
    const r = await scim('PATCH', `/Groups/${g.json.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${a.id}"]` }] },
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json.members.map((m) => m.value), [b.id]);
    // A member that is not a user of this organization is refused.
    assertScimError(await scim('PATCH', `/Groups/${g.json.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'usr_nobody' }] }] },
    }), 400, 'invalidValue');
  });

  test('attacks_070_duplicate_username_differing_in_case: 409 uniqueness', async () => {
    await createUser('Row70@Acme.example');
    for (const userName of ['row70@acme.example', 'ROW70@ACME.EXAMPLE']) {
      assertScimError(await scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName } }), 409, 'uniqueness');
    }
    const other = await createUser('row70-other@acme.example');
    assertScimError(await scim('PATCH', `/Users/${other.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'row70@ACME.example' }] },
    }), 409, 'uniqueness');
    const g = { schemas: [GROUP_SCHEMA], displayName: 'Row 70 Group' };
    assert.equal((await scim('POST', '/Groups', { body: g })).status, 201);
    assertScimError(await scim('POST', '/Groups', { body: { ...g, displayName: 'ROW 70 GROUP' } }), 409, 'uniqueness');
  });

  test('attacks_071_immutable_id: changes rejected with mutability', async () => {
    const u = await createUser('row71@acme.example');
    assertScimError(await scim('PUT', `/Users/${u.id}`, { body: { ...u, id: 'usr_other' } }), 400, 'mutability');
    assertScimError(await scim('PATCH', `/Users/${u.id}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'id', value: 'usr_other' }] },
    }), 400, 'mutability');
    assert.equal((await scim('GET', `/Users/${u.id}`)).status, 200);
    // A stale ETag is refused too.
    assertScimError(await scim('PUT', `/Users/${u.id}`, { body: u, headers: { 'if-match': 'W/"99"' } }), 412);
    const ok = await scim('PUT', `/Users/${u.id}`, { body: { ...u, title: 'x' }, headers: { 'if-match': u.meta.version } });
    assert.equal(ok.status, 200, ok.body);
  });

  test('attacks_072_unauthenticated_or_cross_tenant: 401 / 404, never listed', async () => {
    for (const token of [null, '', 'scimtok_not-a-real-token', tokens.acme.slice(0, -2)]) {
      for (const [method, p] of [['GET', '/Users'], ['GET', '/ServiceProviderConfig'], ['POST', '/Users'], ['GET', '/Groups']]) {
        const r = await scim(method, p, { token, body: method === 'POST' ? { schemas: [USER_SCHEMA], userName: 'x' } : undefined });
        assertScimError(r, 401);
        assert.match(r.headers['www-authenticate'] ?? '', /^Bearer/);
      }
    }
    const basic = await scim('GET', '/Users', { token: null, headers: { authorization: `Basic ${Buffer.from(`x:${tokens.acme}`).toString('base64')}` } });
    assertScimError(basic, 401);
    // A revoked directory token stops at once.
    const temp = createDirectoryToken('acme', 'temporary');
    assert.equal((await scim('GET', '/Users', { token: temp.token })).status, 200);
    scimCli('revoke', temp.directory);
    assertScimError(await scim('GET', '/Users', { token: temp.token }), 401);
    assert.match(scimCli('list', '--org', 'acme'), new RegExp(`${temp.directory}.*revoked=`));

    // Cross-organization: globex's token sees none of acme's users or groups.
    const u = await createUser('row72@acme.example');
    const g = await scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Row 72', members: [{ value: u.id }] } });
    assert.equal(g.status, 201, g.body);
    const other = { token: tokens.globex };
    assertScimError(await scim('GET', `/Users/${u.id}`, other), 404);
    assertScimError(await scim('GET', `/Groups/${g.json.id}`, other), 404);
    assertScimError(await scim('PUT', `/Users/${u.id}`, { ...other, body: { schemas: [USER_SCHEMA], userName: 'stolen' } }), 404);
    assertScimError(await scim('PATCH', `/Users/${u.id}`, { ...other, body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] } }), 404);
    assertScimError(await scim('PATCH', `/Groups/${g.json.id}`, { ...other, body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] } }), 404);
    assertScimError(await scim('DELETE', `/Users/${u.id}`, other), 404);
    assertScimError(await scim('DELETE', `/Groups/${g.json.id}`, other), 404);
    const list = await scim('GET', `/Users?filter=${q('userName eq "row72@acme.example"')}`, other);
    assert.equal(list.json.totalResults, 0);
    const all = await scim('GET', '/Users?count=5', other);
    assert.ok(all.json.Resources.every((r) => !r.userName.endsWith('@acme.example')), all.body);
    const groups = await scim('GET', `/Groups?filter=${q(`members eq "${u.id}"`)}`, other);
    assert.equal(groups.json.totalResults, 0);
    // globex's group cannot take acme's user as a member either.
    assertScimError(await scim('POST', '/Groups', { ...other, body: { schemas: [GROUP_SCHEMA], displayName: 'Stealers', members: [{ value: u.id }] } }), 400, 'invalidValue');
    // Nothing changed on acme's side.
    const still = await scim('GET', `/Users/${u.id}`);
    assert.equal(still.json.active, true);
    assert.equal((await scim('GET', `/Groups/${g.json.id}`)).json.members.length, 1);
  });

  test('attacks_073_huge_count: capped at maxResults', async () => {
    for (let i = 0; i < MAX_RESULTS + 2; i++) await createUser(`row73-${i}@acme.example`);
    for (const count of ['1000000', '99999999999999999999999', String(MAX_RESULTS + 1)]) {
      const r = await scim('GET', `/Users?count=${count}&filter=${q('userName sw "row73-"')}`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.itemsPerPage, MAX_RESULTS);
      assert.equal(r.json.Resources.length, MAX_RESULTS);
      assert.equal(r.json.totalResults, MAX_RESULTS + 2);
    }
    const zero = await scim('GET', `/Users?count=0&filter=${q('userName sw "row73-"')}`);
    assert.equal(zero.json.totalResults, MAX_RESULTS + 2);
    assert.deepEqual(zero.json.Resources, []);
    assertScimError(await scim('GET', '/Users?count=abc'), 400, 'invalidValue');
  });

  test('attacks_074_start_index_zero_or_negative: treated as 1', async () => {
    const f = q('userName sw "row73-"');
    const first = await scim('GET', `/Users?startIndex=1&count=2&filter=${f}`);
    for (const start of ['0', '-5', '-99999999999999999999']) {
      const r = await scim('GET', `/Users?startIndex=${start}&count=2&filter=${f}`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.startIndex, 1);
      assert.deepEqual(r.json.Resources.map((u) => u.id), first.json.Resources.map((u) => u.id));
    }
    const second = await scim('GET', `/Users?startIndex=3&count=2&filter=${f}`);
    assert.equal(second.json.startIndex, 3);
    assert.notDeepEqual(second.json.Resources.map((u) => u.id), first.json.Resources.map((u) => u.id));
    const beyond = await scim('GET', `/Users?startIndex=1000&filter=${f}`);
    assert.deepEqual(beyond.json.Resources, []);
  });

  test('attacks_075_deactivate_kills_tokens: the next tool call fails and the refresh is refused', async () => {
    const password = 'Frank-e2e-Pa55word';
    const u = await createUser('frank@example.com', { password }, tokens.default);
    // Frank is allowed to use calendar tools through a provisioned group (below), so a failure
    // after deactivation is the token's, not the policy's.
    const g = await scim('POST', '/Groups', { token: tokens.default, body: { schemas: [GROUP_SCHEMA], displayName: 'Row 75 Staff', members: [{ value: u.id }] } });
    assert.equal(g.status, 201, g.body);
    const storeId = (await api('GET', '/stores')).json.stores.find((x) => x.organization === 'default').id;
    const grant = await api('POST', `/stores/${storeId}/write`, { writes: { tuple_keys: [{ user: `group:${g.json.id}#member`, relation: 'invoker', object: 'mcp_server:calendar' }] } });
    assert.equal(grant.status, 200, grant.body);
    const t = await login('frank@example.com', password);
    const sid = await initSessionWithToken(gate, t.access_token);
    const before = await callTool(t.access_token, sid);
    assert.equal(before.status, 200, before.body);
    assert.ok(before.msg.result, before.body);

    const off = await scim('PATCH', `/Users/${u.id}`, { token: tokens.default, body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] } });
    assert.equal(off.status, 200, off.body);
    // Revoked when the PATCH returned: the very next call fails (no waiting for a poll).
    const after = await callTool(t.access_token, sid);
    assert.equal(after.status, 401, after.body);
    const r = await refresh(gate, t.refresh_token, { client_id: client });
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json.error, 'invalid_grant');

    // Reactivation lets Frank log in again; the old tokens stay dead.
    const on = await scim('PATCH', `/Users/${u.id}`, { token: tokens.default, body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] } });
    assert.equal(on.status, 200, on.body);
    const again = await login('frank@example.com', password);
    assert.equal((await callTool(t.access_token, sid)).status, 401);
    assert.equal((await refresh(gate, t.refresh_token, { client_id: client })).status, 400);
    const sid2 = await initSessionWithToken(gate, again.access_token);
    assert.ok((await callTool(again.access_token, sid2)).msg.result);

    // DELETE ends access the same way.
    const del = await scim('DELETE', `/Users/${u.id}`, { token: tokens.default });
    assert.equal(del.status, 204, del.body);
    assert.equal((await callTool(again.access_token, sid2)).status, 401);
    assert.equal((await refresh(gate, again.refresh_token, { client_id: client })).status, 400);
  });
});

describe('provisioning drives authorization', () => {
  test('group membership pushed by SCIM grants and revokes tool access', async () => {
    const password = 'Gina-e2e-Pa55word';
    const u = await createUser('gina@example.com', { password }, tokens.default);
    const g = await scim('POST', '/Groups', { token: tokens.default, body: { schemas: [GROUP_SCHEMA], displayName: 'Calendar Users' } });
    assert.equal(g.status, 201, g.body);
    const storeId = (await api('GET', '/stores')).json.stores.find((x) => x.organization === 'default').id;
    const w = await api('POST', `/stores/${storeId}/write`, { writes: { tuple_keys: [{ user: `group:${g.json.id}#member`, relation: 'invoker', object: 'mcp_server:calendar' }] } });
    assert.equal(w.status, 200, w.body);
    const t = await login('gina@example.com', password);
    const sid = await initSessionWithToken(gate, t.access_token);
    const denied = await callTool(t.access_token, sid);
    assert.equal(denied.msg?.error?.code, -31403, denied.body);

    const add = await scim('PATCH', `/Groups/${g.json.id}`, { token: tokens.default, body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u.id }] }] } });
    assert.equal(add.status, 200, add.body);
    // The tuple reaches the policy store with the membership, and the engine (whose view the
    // API reads) follows within its poll interval...
    const members = async () => (await api('POST', `/stores/${storeId}/read`, { tuple_key: { object: `group:${g.json.id}`, relation: 'member' } })).json.tuples.map((x) => x.key.user);
    assert.ok(await within(3000, async () => JSON.stringify(await members()) === JSON.stringify([`user:${u.id}`])) >= 0,
      `membership tuple missing: ${JSON.stringify(await members())}`);
    // ...and so do the decisions.
    assert.ok(await within(3000, async () => (await callTool(t.access_token, sid)).msg?.result !== undefined) >= 0,
      'membership did not grant access');

    const rm = await scim('PATCH', `/Groups/${g.json.id}`, { token: tokens.default, body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${u.id}"]` }] } });
    assert.equal(rm.status, 200, rm.body);
    assert.ok(await within(3000, async () => (await callTool(t.access_token, sid)).msg?.error?.code === -31403) >= 0,
      'removing the membership did not revoke access');

    // Deleting the group deletes its tuples.
    await scim('PATCH', `/Groups/${g.json.id}`, { token: tokens.default, body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u.id }] }] } });
    assert.ok(await within(3000, async () => (await members()).length === 1) >= 0);
    assert.equal((await scim('DELETE', `/Groups/${g.json.id}`, { token: tokens.default })).status, 204);
    assert.ok(await within(3000, async () => (await members()).length === 0) >= 0,
      `tuples left after the group was deleted: ${JSON.stringify(await members())}`);
  });
});

describe('memberships stay in their organization', () => {
  test("an acme group's membership is a tuple of acme's store only", async () => {
    const u = await createUser('store-check@acme.example');
    const g = await scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Acme Calendar', members: [{ value: u.id }] } });
    assert.equal(g.status, 201, g.body);
    const stores = Object.fromEntries((await api('GET', '/stores')).json.stores.map((x) => [x.organization, x.id]));
    assert.ok(stores.acme && stores.globex && stores.default, JSON.stringify(stores));
    const members = async (org) => (await api('POST', `/stores/${stores[org]}/read`, { tuple_key: { object: `group:${g.json.id}`, relation: 'member' } })).json.tuples.map((x) => x.key.user);
    assert.ok(await within(3000, async () => JSON.stringify(await members('acme')) === JSON.stringify([`user:${u.id}`])) >= 0,
      `membership tuple missing in acme's store: ${JSON.stringify(await members('acme'))}`);
    assert.deepEqual(await members('default'), []);
    assert.deepEqual(await members('globex'), []);
    assert.equal((await scim('DELETE', `/Groups/${g.json.id}`)).status, 204);
    assert.ok(await within(3000, async () => (await members('acme')).length === 0) >= 0);
  });
});

describe('hostile input', () => {
  test('malformed, oversized and hostile bodies are 4xx SCIM errors, never 500', async () => {
    const u = await createUser('hostile@acme.example');
    const cases = [
      [['POST', '/Users', { raw: '{"schemas":', headers: { 'content-type': SCIM_TYPE } }], 400, 'invalidSyntax'],
      [['POST', '/Users', { raw: '[1,2,3]', headers: { 'content-type': SCIM_TYPE } }], 400, 'invalidSyntax'],
      [['POST', '/Users', { raw: `${'['.repeat(100000)}${']'.repeat(100000)}`, headers: { 'content-type': SCIM_TYPE } }], 400, 'invalidSyntax'],
      [['POST', '/Users', { raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), headers: { 'content-type': SCIM_TYPE } }], 400, 'invalidSyntax'],
      [['POST', '/Users', { raw: '{"userName":"x"}', headers: { 'content-type': 'text/plain' } }], 415],
      [['POST', '/Users', { raw: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'x', pad: 'a'.repeat(1_100_000) }), headers: { 'content-type': SCIM_TYPE } }], 413],
      [['POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 42 } }], 400, 'invalidValue'],
      [['POST', '/Users', { body: { schemas: [USER_SCHEMA] } }], 400, 'invalidValue'],
      [['POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'a', active: 'maybe' } }], 400, 'invalidValue'],
      [['POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'x'.repeat(300) } }], 400, 'invalidValue'],
      [['POST', '/Users', { body: { schemas: ['urn:evil'], userName: 'a' } }], 400, 'invalidSyntax'],
      [['POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'g', members: [{ value: u.id, type: 'Group' }] } }], 400, 'invalidValue'],
      [['PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: 'nope' } }], 400],
      [['PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'explode', path: 'title', value: 'x' }] } }], 400],
      [['PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] } }], 400, 'invalidPath'],
      [['PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'noSuch', value: 'x' }] } }], 400, 'invalidPath'],
      [['PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: Array.from({ length: 1001 }, () => ({ op: 'replace', path: 'title', value: 'x' })) } }], 400],
      [['PATCH', `/Users/${u.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }] } }], 400, 'mutability'],
      [['GET', `/Users?attributes=${q('emails[type eq')}`], 400],
      [['GET', `/Users?filter=${q('userName eq "x"')}&filter=${q('userName eq "y"')}`], 200],
      [['GET', '/Users?filter=%zz'], 400],
      [['GET', `/Users/${'x'.repeat(500)}`], 404],
      [['GET', '/Users/a/b'], 404],
      [['PUT', '/Users', { body: { schemas: [USER_SCHEMA], userName: 'x' } }], 405],
      [['DELETE', '/ServiceProviderConfig'], 405],
      [['GET', '/Users/usr_nope'], 404],
      [['DELETE', '/Users/usr_nope'], 404],
      [['PUT', `/Users/${u.id}`, { body: { schemas: [USER_SCHEMA], userName: 'hostile@acme.example' }, headers: { 'if-match': 'garbage' } }], 412],
    ];
    for (const [[method, p, opts = {}], status, scimType] of cases) {
      const r = await scim(method, p, opts);
      if (status === 200) {
        assert.equal(r.status, 200, `${method} ${p}: ${r.body}`);
      } else {
        assert.equal(r.status, status, `${method} ${p.slice(0, 80)}: ${r.body.slice(0, 300)}`);
        assertScimError(r, status, scimType);
      }
    }
    assert.ok(gate.alive());
    // The user is untouched by all of that.
    const still = await scim('GET', `/Users/${u.id}`);
    assert.equal(still.json.userName, 'hostile@acme.example');
  });
});
