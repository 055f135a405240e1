// A real OpenID Connect provider (the npm package oidc-provider) for the onboarding service's
// external login tests. Test-only: development interactions (any password), development
// signing keys, plain HTTP on 127.0.0.1.
//
// Environment: CLIENT_ID, CLIENT_SECRET and REDIRECT_URI register onboarding as the one
// client, with exactly that redirect URI. The provider listens on a free port and prints one
// JSON line, {"issuer": "http://127.0.0.1:<port>"}, once it is ready.

import http from 'node:http';
import Provider from 'oidc-provider';

const { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;
if (!CLIENT_ID || !CLIENT_SECRET || !REDIRECT_URI) {
  console.error('CLIENT_ID, CLIENT_SECRET and REDIRECT_URI are required');
  process.exit(2);
}

// The bank's staff as this provider knows them. The roles claim is there on purpose: a
// provider may assert anything, and onboarding must take roles from its own database only.
const accounts = {
  'staff-alice': { sub: 'staff-alice', name: 'Alice Karimova', email: 'alice@bank.example', roles: ['admin'] },
  'staff-bob': { sub: 'staff-bob', name: 'Bob Tursunov', email: 'bob@bank.example', roles: ['admin'] },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name', 'roles'], email: ['email'] },
    cookies: { keys: ['onboarding-tests-only'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const account = accounts[id];
      return account && { accountId: id, claims: async () => account };
    },
  });
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer }));
});
