// A real OpenID provider (npm's oidc-provider, OpenID Certified) for the staff sign-in tests,
// on loopback. It prints one JSON line, {"issuer": "..."}, once it listens.
//
// Settings come from the environment:
//   OIDC_REDIRECT_URI         wiselink's /staff/sso/callback
//   OIDC_POST_LOGOUT_URI      where the provider sends the browser after signing out
//   OIDC_CLIENT_SECRET        the secret of client "wiselink"
//   OIDC_ACCOUNTS             JSON: {"alice": {"groups": ["wiselink-reviewers"]}, ...}
//   OIDC_TLS_CERT, OIDC_TLS_KEY  PEM files: serve HTTPS (as every real provider does); plain HTTP
//                             without them
//
// Besides the provider's own endpoints, /test/* lets a test act as the provider's administrator
// or as an attacker between the provider and wiselink:
//   POST /test/accounts/ID   {"groups": [...], "disabled": bool}   change a person at the provider
//   POST /test/tamper        {"claim": "aud"|"exp"|"nonce"|"iss"|"sig"|"sub"}  the next ID token
//                            from /token is re-signed with that claim changed ("sig": signed by a
//                            key the provider never published)
//   POST /test/rotate        a new signing key, published first; the old one stays published
//   GET  /test/log           what the provider saw: authorizations, token grants (with the
//                            tokens it issued), revocations, sign-outs

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const redirectUri = process.env.OIDC_REDIRECT_URI;
const postLogoutUri = process.env.OIDC_POST_LOGOUT_URI;
const clientSecret = process.env.OIDC_CLIENT_SECRET;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const log = [];

// One store for every provider instance this process makes, so a key rotation (a new instance)
// keeps the sessions, grants and tokens issued before it.
const store = new Map();
class SharedAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    const expires = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { payload, expires });
    if (payload.grantId) {
      const grant = `grant:${payload.grantId}`;
      store.set(grant, { payload: [...(store.get(grant)?.payload || []), this.key(id)] });
    }
    if (payload.uid) store.set(`uid:${payload.uid}`, { payload: id });
  }
  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry || (entry.expires && entry.expires < Date.now())) return undefined;
    return entry.payload;
  }
  async findByUid(uid) {
    const id = store.get(`uid:${uid}`)?.payload;
    return id ? this.find(id) : undefined;
  }
  async findByUserCode() { return undefined; }
  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const key of store.get(`grant:${grantId}`)?.payload || []) store.delete(key);
    store.delete(`grant:${grantId}`);
  }
}
let tamper = null;
let keys = [await signingKey()];

async function signingKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
}

function configuration() {
  return {
    clients: [{
      client_id: 'wiselink',
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    adapter: SharedAdapter,
    jwks: { keys },
    cookies: { keys: ['wiselink-test-provider-cookies'] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    // The groups go into the ID token, as Entra ID and Okta put them there.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    // A first-party client: the person is not asked to consent (as an identity provider's
    // administrator consents for the whole organisation), and a client allowed the refresh_token
    // grant gets a refresh token (as Keycloak gives one; Entra ID and Okta give one for
    // offline_access).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const grant = await ctx.oidc.provider.Grant.find(grantId);
        if (grant) return grant;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email groups offline_access');
      await grant.save();
      return grant;
    },
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    async findAccount(ctx, id) {
      const account = accounts[id];
      if (!account || account.disabled) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            name: account.name || id,
            preferred_username: id,
            email: `${id}@bank.example`,
            groups: account.groups || [],
          };
        },
      };
    },
    ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 86400, Session: 86400, Grant: 86400 },
  };
}

function build() {
  const scheme = process.env.OIDC_TLS_CERT ? 'https' : 'http';
  const issuer = `${scheme}://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' && ctx.method === 'GET') {
      log.push({ at: 'auth', query: ctx.query });
    }
    await next();
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const grantType = ctx.oidc?.params?.grant_type;
      log.push({
        at: 'token',
        grant_type: grantType,
        status: ctx.status,
        error: ctx.body?.error,
        // What the provider issued, so a test can look for it where it must not be.
        issued: ctx.body?.id_token ? {
          id_token: ctx.body.id_token,
          access_token: ctx.body.access_token,
          refresh_token: ctx.body.refresh_token,
        } : undefined,
      });
      if (tamper && ctx.body?.id_token) {
        ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, tamper) };
        log.push({ at: 'tampered', claim: tamper });
        tamper = null;
      }
    }
    if (ctx.path === '/token/revocation') log.push({ at: 'revocation', status: ctx.status });
    if (ctx.path.startsWith('/session/end')) log.push({ at: 'end_session', query: ctx.query });
  });
  return provider;
}

async function tampered(idToken, claim) {
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (claim) {
    case 'aud': payload.aud = 'another-app'; break;
    case 'exp': payload.iat = now - 7200; payload.exp = now - 3600; break;
    case 'nonce': payload.nonce = 'a-nonce-from-another-sign-in'; break;
    case 'iss': payload.iss = 'http://127.0.0.1:1/another-issuer'; break;
    case 'sub': payload.sub = 'mallory'; break;
    default: break;
  }
  const signer = claim === 'sig' ? { ...(await signingKey()), kid: keys[0].kid } : keys[0];
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: signer.kid, typ: 'JWT' })
    .sign(await jose.importJWK(signer, 'RS256'));
}

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

async function control(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const reply = (status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const account = url.pathname.match(/^\/test\/accounts\/([^/]+)$/);
  if (account && req.method === 'POST') {
    accounts[account[1]] = { ...accounts[account[1]], ...(await body(req)) };
    return reply(200, accounts[account[1]]);
  }
  if (url.pathname === '/test/tamper' && req.method === 'POST') {
    tamper = (await body(req)).claim;
    return reply(200, { tamper });
  }
  if (url.pathname === '/test/rotate' && req.method === 'POST') {
    keys = [await signingKey(), ...keys];
    provider = build();
    return reply(200, { kid: keys[0].kid });
  }
  if (url.pathname === '/test/log' && req.method === 'GET') return reply(200, log);
  return reply(404, { error: 'not found' });
}

let provider;
const handler = (req, res) => {
  if (req.url.startsWith('/test/')) {
    control(req, res).catch((e) => { res.writeHead(500); res.end(String(e)); });
    return;
  }
  provider.callback()(req, res);
};
const server = process.env.OIDC_TLS_CERT
  ? https.createServer({
    cert: fs.readFileSync(process.env.OIDC_TLS_CERT),
    key: fs.readFileSync(process.env.OIDC_TLS_KEY),
  }, handler)
  : http.createServer(handler);
server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', () => {
  provider = build();
  process.stdout.write(`${JSON.stringify({ issuer: provider.issuer })}\n`);
});
