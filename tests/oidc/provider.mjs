// The OpenID Connect provider the SSO tests sign in with: oauth2-mock-server on loopback
// (discovery, JWKS, authorization endpoint with PKCE, token endpoint), its ID tokens re-signed
// here so a test can ask for what a real provider might send next. One JSON command per line
// on stdin, "ok" on stdout after each:
//   {"next": {"claims": {...}, "exp_offset": -600, "aud": "other", "nonce": "x",
//             "bad_signature": true}}   applies to the next ID token only
//   {"rotate": true}                     a new signing key (published in the JWKS)
// Prints "ISSUER <url>" once listening.
import { OAuth2Server } from 'oauth2-mock-server';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, importJWK } from 'jose';
import readline from 'node:readline';

const server = new OAuth2Server();
let current = await server.issuer.keys.generate('RS256');
let next = {};

async function resign(idToken) {
  const payload = decodeJwt(idToken);
  const asked = next;
  next = {};
  Object.assign(payload, asked.claims || {});
  if (asked.exp_offset !== undefined) {
    payload.exp = Math.floor(Date.now() / 1000) + asked.exp_offset;
  }
  if (asked.aud !== undefined) payload.aud = asked.aud;
  if (asked.nonce !== undefined) payload.nonce = asked.nonce;
  let key = await importJWK(current, current.alg);
  if (asked.bad_signature) {
    // Signed by a key nobody published, under the published key's id.
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    key = await importJWK(await exportJWK(privateKey), 'RS256');
  }
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'JWT', alg: current.alg, kid: current.kid })
    .sign(key);
}

server.service.on('beforeResponse', (response, req) => {
  if (!(response.body && response.body.id_token)) return;
  // The token endpoint answers with res.json right after this event: hold the answer until
  // the ID token is re-signed.
  const res = req.res;
  const send = res.json.bind(res);
  res.json = (body) => {
    resign(body.id_token).then(
      (token) => send({ ...body, id_token: token }),
      (error) => send({ error: 'server_error', error_description: String(error) }),
    );
    return res;
  };
});

await server.start(0, '127.0.0.1');
process.stdout.write(`ISSUER ${server.issuer.url}\n`);

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const command = JSON.parse(line);
  if (command.next) next = command.next;
  if (command.rotate) current = await server.issuer.keys.generate('RS256');
  process.stdout.write('ok\n');
});
lines.on('close', async () => {
  await server.stop();
  process.exit(0);
});
