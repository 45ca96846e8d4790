// A real OpenID Connect provider for the single sign-on tests: oidc-provider with its
// development login pages (any password; the login name picks the account).
//
// Environment: REDIRECT_URIS and POST_LOGOUT_REDIRECT_URIS (comma-separated), ACCOUNTS
// (JSON: login name -> claims). It listens on a free port of 127.0.0.1 and prints
// "listening <issuer>" once ready. PKCE is required of every client. Client "seminars"
// has normal codes; client "seminars-expiring" gets authorization codes that expire after
// one second.
import http from "node:http";
import Provider from "oidc-provider";

const accounts = JSON.parse(process.env.ACCOUNTS || "{}");
const client = (clientId) => ({
  client_id: clientId,
  client_secret: `${clientId}-secret`,
  redirect_uris: (process.env.REDIRECT_URIS || "").split(",").filter(Boolean),
  post_logout_redirect_uris: (process.env.POST_LOGOUT_REDIRECT_URIS || "").split(",").filter(Boolean),
  grant_types: ["authorization_code"],
  response_types: ["code"],
});

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [client("seminars"), client("seminars-expiring")],
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, ...(accounts[sub] || { email: `${sub}@unknown.example`, email_verified: false }) }),
    }),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    ttl: {
      AuthorizationCode: (ctx, token, theClient) => (theClient.clientId === "seminars-expiring" ? 1 : 60),
    },
    // Every authorization request must carry a PKCE challenge (S256), also ours.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ["only-for-tests"] },
  });
  server.on("request", provider.callback());
  console.log(`listening ${issuer}`);
});
