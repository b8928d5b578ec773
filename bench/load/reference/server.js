// The reference for the load benchmark: the two endpoints the JWT security
// guides show, written their way - express, jsonwebtoken and a Redis
// denylist/allowlist. Same algorithm (ES256) and same checks as jwtkeep's
// endpoints: signature, iss, aud, exp, revocation.
//   node server.js PORT   (prints "listening PORT" when ready)
import crypto from "node:crypto";
import express from "express";
import jwt from "jsonwebtoken";
import { createClient } from "redis";

const port = Number(process.argv[2] || 8090);
const ISS = "http://reference";
const prefix = `ref:${crypto.randomUUID()}:`;
const access = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const refresh = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const redis = createClient({ url: "redis://127.0.0.1:6379" });
await redis.connect();

function pair(sub) {
  const jti = crypto.randomUUID();
  const accessToken = jwt.sign({ scope: "" }, access.privateKey, {
    algorithm: "ES256", issuer: ISS, audience: "api", subject: sub, expiresIn: "15m", jwtid: crypto.randomUUID(),
  });
  const refreshToken = jwt.sign({}, refresh.privateKey, {
    algorithm: "ES256", issuer: ISS, audience: ISS, subject: sub, expiresIn: "7d", jwtid: jti,
  });
  return { accessToken, refreshToken, jti };
}

const app = express();
app.use(express.json());
app.use(express.urlencoded({ extended: false }));

// Seeding for the benchmark: a token pair for a user, its refresh token allow-listed.
app.post("/seed", async (req, res) => {
  const { accessToken, refreshToken, jti } = pair(req.body.sub || "user-1");
  await redis.set(prefix + "refresh:" + jti, "1", { EX: 7 * 86400 });
  res.json({ access_token: accessToken, refresh_token: refreshToken });
});

// RFC 7662-style introspection: verify, then the Redis denylist.
app.post("/introspect", async (req, res) => {
  try {
    const claims = jwt.verify(req.body.token, access.publicKey, { algorithms: ["ES256"], issuer: ISS, audience: "api" });
    if (await redis.get(prefix + "deny:" + claims.jti)) return res.json({ active: false });
    res.json({ active: true, ...claims });
  } catch {
    res.json({ active: false });
  }
});

// Refresh with rotation: the presented token must be on the allowlist; it is
// removed and the new one added.
app.post("/refresh", async (req, res) => {
  try {
    const claims = jwt.verify(req.body.refresh_token, refresh.publicKey, { algorithms: ["ES256"], issuer: ISS, audience: ISS });
    const removed = await redis.del(prefix + "refresh:" + claims.jti);
    if (removed !== 1) return res.status(401).json({ error: "refresh_reuse" });
    const { accessToken, refreshToken, jti } = pair(claims.sub);
    await redis.set(prefix + "refresh:" + jti, "1", { EX: 7 * 86400 });
    res.set("cache-control", "no-store").json({ access_token: accessToken, token_type: "Bearer", expires_in: 900, refresh_token: refreshToken });
  } catch {
    res.status(401).json({ error: "invalid_token" });
  }
});

app.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
