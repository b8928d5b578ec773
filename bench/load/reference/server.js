// The reference for the load benchmark: the endpoints the JWT security
// guides show, written their way at its best - express, jsonwebtoken and a
// Redis denylist/allowlist, keys parsed once as KeyObjects, node:cluster
// with one worker per core. Same algorithm (ES256) and same checks as
// jwtkeep's endpoints: signature, iss, aud, exp, revocation.
//   node server.js PORT [WORKERS]   (WORKERS=2 by default; 1 is the
//   one-process form; prints "listening PORT" when every worker listens)
import cluster from "node:cluster";
import crypto from "node:crypto";
import express from "express";
import jwt from "jsonwebtoken";
import { createClient } from "redis";

const port = Number(process.argv[2] || 8090);
const workers = Number(process.argv[3] || 2);
const ISS = "http://reference";

if (cluster.isPrimary && workers > 1) {
  // One key pair per purpose and one Redis prefix for all workers, handed
  // to them as PEM; each parses them once.
  const pem = (k) => k.privateKey.export({ type: "pkcs8", format: "pem" });
  const env = {
    REF_ACCESS: pem(crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })),
    REF_REFRESH: pem(crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })),
    REF_PREFIX: `ref:${crypto.randomUUID()}:`,
  };
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork(env).on("message", (m) => {
      if (m === "listening" && ++ready === workers) console.log(`listening ${port}`);
    });
  }
} else {
  await worker();
}

async function worker() {
  const keyPair = (pem) => {
    if (!pem) return crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateKey = crypto.createPrivateKey(pem);
    return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
  };
  const prefix = process.env.REF_PREFIX || `ref:${crypto.randomUUID()}:`;
  const access = keyPair(process.env.REF_ACCESS);
  const refresh = keyPair(process.env.REF_REFRESH);
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

  // The caller's own claims (the guides' protected route): verify the bearer
  // token, then the Redis denylist.
  app.get("/me", async (req, res) => {
    try {
      const token = (req.get("authorization") || "").replace(/^Bearer /, "");
      const claims = jwt.verify(token, access.publicKey, { algorithms: ["ES256"], issuer: ISS, audience: "api" });
      if (await redis.get(prefix + "deny:" + claims.jti)) return res.status(401).json({ error: "token_revoked" });
      res.json({ claims });
    } catch {
      res.status(401).json({ error: "invalid_token" });
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

  app.listen(port, "127.0.0.1", () => {
    if (cluster.isWorker) process.send("listening");
    else console.log(`listening ${port}`);
  });
}
