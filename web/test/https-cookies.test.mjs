// Cookie mode over real HTTPS in Chromium: `jwtkeep serve --cookies` with a
// certificate the test makes (its own CA); the browser trusts exactly that
// certificate's key (--ignore-certificate-errors-spki-list), nothing else.
// A page on the service's own https origin logs in, calls the API with the
// HttpOnly cookies alone, refreshes and logs out.
// Run from the repository root after `cargo build`:
//   npm ci --prefix web && node --test web/test/
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { jwtkeep, launchChromium, root, startServe } from "../serve.mjs";

const PASSWORD = "a cookie eater's passphrase 5";

let browser;
let service;
let origin;

before(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "jwtkeep-https-"));
  const certs = path.join(dir, "certs");
  const made = spawnSync("bash", [path.join(root, "crates/jwtkeep/tests/tls/certs.sh"), certs], {
    encoding: "utf8",
  });
  assert.equal(made.status, 0, made.stderr);
  const env = { ...process.env };
  delete env.JWTKEEP_MASTER_KEY;
  delete env.JWTKEEP_STORE;
  const dataDir = path.join(dir, "data");
  const add = spawnSync(jwtkeep, ["user", "add", "alice", "--data-dir", dataDir], {
    input: PASSWORD + "\n", encoding: "utf8", env,
  });
  assert.equal(add.status, 0, add.stderr);
  ({ child: service, origin } = await startServe(jwtkeep, dataDir, env, [
    "--cookies",
    "--tls-cert", path.join(certs, "cert.pem"),
    "--tls-key", path.join(certs, "key.pem"),
  ]));
  // The SHA-256 of the certificate's SubjectPublicKeyInfo, base64.
  const spki = new X509Certificate(readFileSync(path.join(certs, "cert.pem")))
    .publicKey.export({ type: "spki", format: "der" });
  const pin = createHash("sha256").update(spki).digest("base64");
  browser = await launchChromium([`--ignore-certificate-errors-spki-list=${pin}`]);
});

after(async () => {
  await browser?.close();
  service?.kill("SIGTERM");
});

test("the service is reached over https, with HSTS", async () => {
  assert.match(origin, /^https:\/\/127\.0\.0\.1:\d+$/);
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(origin + "/healthz");
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains");
  assert.equal((await response.securityDetails())?.protocol, "TLS 1.3");
  await context.close();
});

test("cookie mode works over https: HttpOnly Secure cookies carry the session", async () => {
  // The service's own pages forbid scripts' connections (CSP); the test's
  // script stands in for the site's own application on the same origin.
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(origin + "/healthz");
  const result = await page.evaluate(async (password) => {
    const post = (p, body) => fetch(p, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const login = await post("/v1/auth/login", { username: "alice", password });
    const loginBody = await login.json();
    const me = await fetch("/v1/auth/me");
    const refresh = await post("/v1/auth/refresh");
    const meAfter = await fetch("/v1/auth/me");
    return {
      login: login.status,
      tokenType: loginBody.token_type,
      leaked: "access_token" in loginBody || "refresh_token" in loginBody,
      scriptSees: document.cookie,
      me: me.status,
      refresh: refresh.status,
      meAfter: meAfter.status,
    };
  }, PASSWORD);
  assert.deepEqual(result, {
    login: 200, tokenType: "cookie", leaked: false, scriptSees: "",
    me: 200, refresh: 200, meAfter: 200,
  });
  const cookies = await context.cookies(origin);
  const access = cookies.find((c) => c.name === "__Host-jwtkeep-access");
  assert.ok(access, JSON.stringify(cookies));
  assert.equal(access.secure, true);
  assert.equal(access.httpOnly, true);
  assert.equal(access.sameSite, "Strict");
  assert.equal(access.path, "/");

  const out = await page.evaluate(async () => {
    const logout = await fetch("/v1/auth/logout", { method: "POST" });
    const me = await fetch("/v1/auth/me");
    return { logout: logout.status, me: me.status };
  });
  assert.deepEqual(out, { logout: 200, me: 401 });
  const left = (await context.cookies(origin)).filter((c) => c.name.includes("jwtkeep"));
  assert.deepEqual(left, []);
  await context.close();
});
