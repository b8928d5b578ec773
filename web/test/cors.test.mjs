// CORS in a real browser: a single-page app on one loopback origin calls
// `jwtkeep serve` on another, which lists the app's origin in cors_origins;
// an app on a third origin, not listed, is refused by the browser.
// Run from the repository root after `cargo build`:
//   npm ci --prefix web && node --test web/test/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { jwtkeep, launchChromium, startServe } from "../serve.mjs";

const PASSWORD = "a browser app's passphrase 9";

let browser;
let service;
let serviceOrigin;
const apps = [];

/** A page server on 127.0.0.1: every path answers an empty HTML page. */
async function appServer() {
  const server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>app</title>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  apps.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

let allowed;
let other;

before(async () => {
  [allowed, other] = [await appServer(), await appServer()];
  const env = { ...process.env, JWTKEEP_CORS_ORIGINS: allowed };
  delete env.JWTKEEP_MASTER_KEY;
  delete env.JWTKEEP_STORE;
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "jwtkeep-cors-")), "data");
  const add = spawnSync(jwtkeep, ["user", "add", "alice", "--data-dir", dataDir], {
    input: PASSWORD + "\n", encoding: "utf8", env,
  });
  assert.equal(add.status, 0, add.stderr);
  ({ child: service, origin: serviceOrigin } = await startServe(jwtkeep, dataDir, env));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  service?.kill("SIGTERM");
  for (const app of apps) app.close();
});

/** In a page of `appOrigin`: log in and read /v1/auth/me, as an app would. */
async function callFrom(appOrigin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(appOrigin + "/");
  const result = await page.evaluate(async ({ service, password }) => {
    try {
      // JSON bodies and Authorization headers both need a preflight.
      const login = await fetch(service + "/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "alice", password }),
      });
      const { access_token } = await login.json();
      const me = await fetch(service + "/v1/auth/me", {
        headers: { authorization: "Bearer " + access_token },
      });
      const refused = await fetch(service + "/v1/auth/me", {
        headers: { authorization: "Bearer not.a.token" },
      });
      return {
        status: me.status,
        sub: (await me.json()).claims.sub,
        refused: refused.status,
        challenge: refused.headers.get("www-authenticate"),
      };
    } catch (e) {
      return { error: String(e) };
    }
  }, { service: serviceOrigin, password: PASSWORD });
  await context.close();
  return result;
}

test("an app on a listed origin logs in and calls the API across origins", async () => {
  const result = await callFrom(allowed);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.status, 200);
  assert.match(result.sub, /.+/);
  // A refusal is readable too, with its challenge (an exposed header).
  assert.equal(result.refused, 401);
  assert.match(result.challenge, /^Bearer error="invalid_token"/);
});

test("an app on any other origin is refused by the browser", async () => {
  const result = await callFrom(other);
  assert.match(result.error ?? "", /Failed to fetch/);
});

test("the refused origin's preflight gets no CORS headers", async () => {
  const response = await fetch(serviceOrigin + "/v1/auth/me", {
    method: "OPTIONS",
    headers: { origin: other, "access-control-request-method": "GET" },
  });
  assert.equal(response.status, 403);
  assert.equal(response.headers.get("access-control-allow-origin"), null);
  assert.equal((await response.json()).error, "origin_not_allowed");
});
