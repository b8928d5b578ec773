// The reference for the gate's benchmark: the guides' enhancedAuthMiddleware
// at its best. node:cluster with two workers; each verifies the bearer token
// with panva/jose against the issuer's JWKS (createRemoteJWKSet: fetched once,
// cached), then asks Redis whether the token's jti is denied, on every request.
//   node server.js PORT JWKS_URL ISSUER AUDIENCE
import cluster from "node:cluster";
import express from "express";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { createClient } from "redis";

const [port, jwksUrl, issuer, audience] = process.argv.slice(2);

if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  let ready = 0;
  cluster.on("message", () => {
    ready += 1;
    if (ready === 2) console.log("listening");
  });
} else {
  const redis = createClient({ url: "redis://127.0.0.1:6379" });
  await redis.connect();
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const app = express();
  app.get("/verify", async (req, res) => {
    const header = req.headers.authorization || "";
    const [scheme, token] = header.split(" ");
    if (scheme !== "Bearer" || !token) {
      return res.status(401).set("WWW-Authenticate", "Bearer").json({ error: "missing_token" });
    }
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: "at+jwt" });
      if (await redis.get(`denylist:${payload.jti}`)) {
        return res.status(401).json({ error: "token_revoked" });
      }
      res.set("X-Auth-Subject", payload.sub).status(200).end();
    } catch (e) {
      res.status(401).set("WWW-Authenticate", 'Bearer error="invalid_token"').json({ error: "invalid_token" });
    }
  });
  app.listen(Number(port), "127.0.0.1", () => process.send("ready"));
}
