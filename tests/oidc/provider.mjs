// A real OpenID provider for the sign-in tests: the npm package oidc-provider (OpenID Certified),
// installed by `make test` into var/oidc. Its development login form takes any name as the
// account's id and any password; the people it knows, their e-mail and groups, come from the JSON
// file OIDC_PEOPLE_FILE names ({"ana": {"email": ..., "groups": [...]}}), read at each sign-in, so
// that a test decides who exists and moves them between groups while the provider runs.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(path.resolve(process.env.OIDC_NODE_MODULES, "x.js"));
const { default: Provider } = await import(require.resolve("oidc-provider"));

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: process.env.OIDC_REDIRECT_URIS.split(","),
      post_logout_redirect_uris: process.env.OIDC_LOGOUT_URIS.split(","),
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  scopes: ["openid", "email", "profile", "groups"],
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => {
      const people = JSON.parse(fs.readFileSync(process.env.OIDC_PEOPLE_FILE, "utf8"));
      const person = people[id] || {};
      return {
        sub: id,
        email: person.email || `${id}@example.com`,
        email_verified: true,
        name: person.name || id,
        preferred_username: id,
        groups: person.groups || [],
      };
    },
  }),
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  // The tests drive it over plain HTTP on loopback.
  cookies: { keys: ["pushdeck-tests-only-cookie-key"] },
});

// A provider gone wrong, for the tests of what Pushdeck refuses: with "__id_token__" in the people
// file, the ID token the token endpoint hands out has those claims replaced (an audience or issuer
// of someone else's). Its signature no longer matches, which a client that took the token straight
// from the token endpoint may not check: its audience and issuer it must.
function reclaimed(token, claims) {
  const [header, payload, signature] = token.split(".");
  const changed = { ...JSON.parse(Buffer.from(payload, "base64url").toString()), ...claims };
  return [header, Buffer.from(JSON.stringify(changed)).toString("base64url"), signature].join(".");
}

provider.use(async (ctx, next) => {
  await next();
  const forged = JSON.parse(fs.readFileSync(process.env.OIDC_PEOPLE_FILE, "utf8")).__id_token__;
  if (forged && ctx.path === "/token" && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: reclaimed(ctx.body.id_token, forged) };
  }
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
