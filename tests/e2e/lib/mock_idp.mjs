// A mock OpenID Provider for the SSO suites: oauth2-mock-server 8 (real RS256 signatures, PKCE
// checked, auto-approving /authorize) behind a small loopback proxy that the gate talks to.
//
// The proxy is what makes the mock usable as an upstream the gate's strict relying party
// accepts, and what lets a test misbehave on purpose:
//   - the discovery document lists the client authentication methods the gate sends (the
//     mock advertises only "none") and advertises RFC 9207 `iss` on the authorization response
//     (the mock never sends it; the proxy adds it to every redirect unless a test says otherwise)
//   - JWKS requests are counted (rotation: exactly one refetch for a new kid)
//   - token requests are recorded: which client authentication arrived, and the login_hint of
//     authorization requests
//   - hooks: `claims` (the person the IdP vouches for, merged into the next ID tokens),
//     `tamperIdToken(token)` before signing, `tamperTokenResponse(body)` after signing,
//     `tamperRedirect(url)` for the authorization response.
import http from 'node:http';
import { createHmac, createPublicKey } from 'node:crypto';
import { OAuth2Server, Events } from 'oauth2-mock-server';

import { noteSecret, noteTokenResponse } from './oauth.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export class MockIdp {
  constructor() {
    this.claims = {};
    this.clientIds = new Set();
    this.jwksHits = 0;
    this.tokenRequests = []; // {auth: 'basic'|'post'|'private_key_jwt'|'none', clientId}
    this.authorizeRequests = []; // URLSearchParams of each /authorize
    this.tamperIdToken = null;
    this.tamperTokenResponse = null;
    this.tamperRedirect = null;
    this.issParameter = true; // add the correct iss to every authorization response
  }

  async start() {
    this.mock = new OAuth2Server();
    this.firstKey = await this.mock.issuer.keys.generate('RS256');
    await this.mock.start(0, '127.0.0.1');
    const mockPort = this.mock.address().port;
    this.proxy = http.createServer((req, res) => this.#forward(mockPort, req, res));
    await new Promise((r) => this.proxy.listen(0, '127.0.0.1', r));
    this.issuer = `http://127.0.0.1:${this.proxy.address().port}`;
    this.mock.issuer.url = this.issuer; // tokens and discovery name the proxy

    this.mock.service.on(Events.BeforeTokenSigning, (token) => {
      // The ID token is the one whose aud is a client id (the access token is built first).
      if (!this.clientIds.has(token.payload.aud)) return;
      Object.assign(token.payload, this.claims);
      this.tamperIdToken?.(token);
    });
    this.mock.service.on(Events.BeforeResponse, (response) => {
      if (response.body?.id_token) this.tamperTokenResponse?.(response.body);
      noteTokenResponse('mock IdP', response.body);
    });
    this.mock.service.on(Events.BeforeAuthorizeRedirect, ({ url }) => {
      if (this.issParameter) url.searchParams.set('iss', this.issuer);
      this.tamperRedirect?.(url);
    });
    return this;
  }

  async stop() {
    await new Promise((r) => this.proxy?.close(() => r()));
    await this.mock?.stop();
  }

  // Adds a signing key (published in the JWKS from now on). The mock picks keys round-robin,
  // access token first: after one added key, every ID token is signed with the new one.
  async rotate() {
    return this.mock.issuer.keys.generate('RS256');
  }

  // The IdP's public key as PEM (for the HS256-with-the-public-key forgery).
  publicKeyPem() {
    const jwk = this.mock.issuer.keys.toJSON()[0];
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  }

  resetHooks() {
    this.tamperIdToken = null;
    this.tamperTokenResponse = null;
    this.tamperRedirect = null;
  }

  #forward(mockPort, req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, this.issuer);
      if (url.pathname === '/jwks') this.jwksHits += 1;
      if (url.pathname === '/authorize') this.authorizeRequests.push(url.searchParams);
      if (url.pathname === '/token') this.#recordTokenRequest(req, body);
      const up = http.request({
        host: '127.0.0.1', port: mockPort, method: req.method, path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${mockPort}` },
      }, (upRes) => {
        const out = [];
        upRes.on('data', (c) => out.push(c));
        upRes.on('end', () => {
          let payload = Buffer.concat(out);
          const headers = { ...upRes.headers };
          if (url.pathname === '/.well-known/openid-configuration' && upRes.statusCode === 200) {
            const doc = JSON.parse(payload.toString());
            doc.token_endpoint_auth_methods_supported = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
            doc.authorization_response_iss_parameter_supported = true;
            payload = Buffer.from(JSON.stringify(doc));
          }
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          headers['content-length'] = String(payload.length);
          res.writeHead(upRes.statusCode, headers);
          res.end(payload);
        });
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      up.end(body);
    });
  }

  #recordTokenRequest(req, body) {
    const form = new URLSearchParams(body.toString());
    let auth = 'none';
    let clientId = form.get('client_id');
    if (/^basic /i.test(req.headers.authorization ?? '')) {
      auth = 'basic';
      clientId = decodeURIComponent(Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(':')[0]);
    } else if (form.get('client_assertion')) {
      auth = 'private_key_jwt';
      noteSecret('client assertion', form.get('client_assertion'));
    } else if (form.get('client_secret')) {
      auth = 'post';
    }
    noteSecret('IdP code', form.get('code'));
    this.tokenRequests.push({ auth, clientId });
  }
}

// --- forged ID tokens (a token response's id_token rewritten after the IdP signed it) ---------

export function splitJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')), signature: s };
}

// The same token with one signature character changed.
export function brokenSignature(jwt) {
  const [h, p, s] = jwt.split('.');
  const bytes = Buffer.from(s, 'base64url');
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  return `${h}.${p}.${b64url(bytes)}`;
}

// `alg: none`, no signature.
export function algNone(jwt) {
  const { header, payload } = splitJwt(jwt);
  return `${b64url(JSON.stringify({ ...header, alg: 'none' }))}.${b64url(JSON.stringify(payload))}.`;
}

// HS256 with the IdP's public key as the HMAC secret (the classic key-confusion forgery).
export function hs256WithPublicKey(jwt, publicPem) {
  const { header, payload } = splitJwt(jwt);
  const input = `${b64url(JSON.stringify({ ...header, alg: 'HS256' }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(createHmac('sha256', publicPem).update(input).digest())}`;
}
