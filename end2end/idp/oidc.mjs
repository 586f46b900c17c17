// A real OpenID Provider (npm `oidc-provider`, OpenID Certified) on loopback for the browser tests.
// Usage: node idp/oidc.mjs <port> <clients.json>
// `clients.json` lists the clients (client_id, client_secret, redirect_uris and, for an ES256 client,
// id_token_signed_response_alg). Accounts are made up from the login typed at its login form:
// `<login>@example.com`, named after the login, in the groups `Vision` and `Ops`. Prints
// `ready <issuer>` once it listens.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, clientsFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(readFileSync(clientsFile, 'utf8'));

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [{ ...rsa, kid: 'rsa-1', use: 'sig', alg: 'RS256' }, { ...ec, kid: 'ec-1', use: 'sig', alg: 'ES256' }] },
  enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  // The claims go into the ID token too, as many providers do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  async findAccount(_ctx, id) {
    const name = id.charAt(0).toUpperCase() + id.slice(1);
    return {
      accountId: id,
      async claims() {
        return {
          sub: `sub-${id}`,
          email: `${id}@example.com`,
          email_verified: true,
          name: `${name} Oidc`,
          given_name: name,
          family_name: 'Oidc',
          groups: ['Vision', 'Ops'],
        };
      },
    };
  },
});
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
