// A small OpenID provider for plusmarkt's sign-on tests (tests/app/oidc.rs and
// tests/e2e/sign_on.test.mjs), built on the certified `oidc-provider`.
//
//   node server.mjs <port> <redirect-uri>
//
// Issuer http://127.0.0.1:<port>. Clients: `plusmarkt` (secret `plusmarkt-geheim`, the given
// redirect URI) and `andere-app` (secret `andere-geheim`, the same redirect URI), so a test
// can get a code issued to another client. The development login page accepts any login
// name with any password; the account (`sub`) is that name:
//   - `email` = the login name, `email_verified` = true;
//   - a login name that starts with `onbevestigd+` has the rest as its `email`, with
//     `email_verified` = false;
//   - a login name that starts with `ander-publiek+` has the rest as its `email` and gets an
//     ID token whose audience is `andere-app` (signed with the provider's own key), to show
//     the audience check;
//   - the ID token carries `amr: ["pwd"]`.
// Prints `listening <issuer>` when it is ready.

import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const redirectUri = process.argv[3] || process.env.PLUSMARKT_REDIRECT_URI;
if (!port || !redirectUri) {
  console.error('usage: node server.mjs <port> <redirect-uri>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-sleutel', alg: 'RS256', use: 'sig' };

const UNVERIFIED = 'onbevestigd+';
const WRONG_AUDIENCE = 'ander-publiek+';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'plusmarkt',
      client_secret: 'plusmarkt-geheim',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'andere-app',
      client_secret: 'andere-geheim',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  // `amr` and the e-mail claims in the ID token itself, as Entra ID does.
  claims: {
    openid: ['sub', 'amr', 'auth_time'], email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        const email = [UNVERIFIED, WRONG_AUDIENCE].reduce(
          (name, prefix) => (name.startsWith(prefix) ? name.slice(prefix.length) : name),
          id,
        );
        return { sub: id, email, email_verified: !id.startsWith(UNVERIFIED) };
      },
    };
  },
  // No consent step: the clients are the organisation's own applications.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email');
    await grant.save();
    return grant;
  },
});

async function formBody(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

provider.use(async (ctx, next) => {
  // The development login form, answered here so that the session records how the user
  // signed in (`amr`), which the development interactions leave out.
  const submit = ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path);
  if (submit) {
    const body = await formBody(ctx.req);
    const login = body.get('login');
    if (body.get('prompt') === 'login' && login) {
      await provider.interactionFinished(ctx.req, ctx.res, {
        login: { accountId: login, amr: ['pwd'] },
      }, { mergeWithLastSubmission: false });
      ctx.respond = false;
      return;
    }
    ctx.throw(400, 'alleen het inlogformulier wordt hier verwerkt');
  }
  await next();
  // The audience test: an ID token for another client, properly signed.
  if (ctx.method === 'POST' && ctx.path === '/token' && ctx.body?.id_token) {
    const claims = decodeJwt(ctx.body.id_token);
    if (String(claims.sub).startsWith(WRONG_AUDIENCE)) {
      ctx.body.id_token = await new SignJWT({ ...claims, aud: 'andere-app' })
        .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid })
        .sign(privateKey);
    }
  }
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
// Started with a pipe as stdin (the Rust tests): stop when the parent is gone.
if (!process.stdin.isTTY && process.env.OIDC_PROVIDER_STDIN_LIFELINE) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
