// The generator page in a real browser: Debian's chromium, headless, driven by
// playwright-core. Run from the repository root after `cargo build`:
//   npm ci --prefix web && node --test web/test/
// JWTKEEP_BIN points at the jwtkeep binary (default target/debug/jwtkeep).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServe } from "../serve.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const pagePath = path.join(root, "web", "index.html");
const html = readFileSync(pagePath, "utf8");
const jwtkeep = process.env.JWTKEEP_BIN || path.join(root, "target", "debug", "jwtkeep");
const artefacts = path.join(root, "target", "web");
const MIN = { HS256: 32, HS384: 48, HS512: 64 };

let browser;
let server;
let origin;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  // The page over http as well, served by the real `jwtkeep serve` with its
  // CSP header: the clipboard needs an origin to grant permissions to.
  const env = { ...process.env };
  delete env.JWTKEEP_MASTER_KEY;
  delete env.JWTKEEP_STORE;
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "jwtkeep-web-")), "data");
  ({ child: server, origin: origin } = await startServe(jwtkeep, dataDir, env));
  mkdirSync(artefacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

async function open(url = "file://" + pagePath) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  return { context, page, requests, errors };
}

async function generate(page, { alg = "HS256", bytes, format = "base64url", purposes = ["access"], environments = "" }) {
  await page.selectOption("#alg", alg);
  await page.fill("#bytes", String(bytes ?? MIN[alg]));
  await page.selectOption("#format", format);
  for (const p of ["access", "refresh", "email"]) {
    await page.setChecked(`input[name=purpose][value=${p}]`, purposes.includes(p));
  }
  await page.fill("#environments", environments);
  await page.click("#generate");
  return page.$$eval("#secret-output pre", (pres) => pres.map((p) => p.textContent));
}

function jwtkeepRun(args, input) {
  const run = spawnSync(jwtkeep, args, { input, encoding: "utf8" });
  if (run.error) throw new Error(`cannot run ${jwtkeep}: ${run.error.message} (build it first)`);
  return run;
}

const decodeB64url = (s) => Buffer.from(s, "base64url");

test("the CSP allows exactly the inline script and style, and no connection", () => {
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
  const hash = (tag) => {
    const body = html.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`))[1];
    return "'sha256-" + createHash("sha256").update(body, "utf8").digest("base64") + "'";
  };
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'none'/);
  assert.ok(csp.includes(`script-src ${hash("script")}`), "script hash is stale: run python3 web/csp.py");
  assert.ok(csp.includes(`style-src ${hash("style")}`), "style hash is stale: run python3 web/csp.py");
  assert.doesNotMatch(html, /<(script|link|img|iframe)[^>]*\s(src|href)=/i, "no external assets");
});

test("jwtkeep serve sends the page with its own policy as a header, and no framing", async () => {
  const response = await fetch(origin + "/");
  assert.equal(response.status, 200);
  assert.equal(await response.text(), html);
  const meta = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
  assert.equal(response.headers.get("content-security-policy"), `${meta}; frame-ancestors 'none'`);
  assert.equal(response.headers.get("x-frame-options"), "DENY");
});

test("every format decodes to the right length and alphabet", async () => {
  const { context, page, errors } = await open();
  for (const alg of ["HS256", "HS384", "HS512"]) {
    const [b64url] = await generate(page, { alg, format: "base64url" });
    assert.match(b64url, /^[A-Za-z0-9_-]+$/);
    assert.equal(decodeB64url(b64url).length, MIN[alg], `${alg} base64url`);
    const [b64] = await generate(page, { alg, format: "base64" });
    assert.match(b64, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(b64, "base64").length, MIN[alg], `${alg} base64`);
    assert.equal(Buffer.from(b64, "base64").toString("base64"), b64, "canonical base64");
    const [hex] = await generate(page, { alg, format: "hex" });
    assert.match(hex, new RegExp(`^[0-9a-f]{${MIN[alg] * 2}}$`));
  }
  // Larger than the minimum is allowed.
  const [big] = await generate(page, { alg: "HS256", bytes: 100 });
  assert.equal(decodeB64url(big).length, 100);
  // Every purpose gets its own secret.
  const three = await generate(page, { purposes: ["access", "refresh", "email"] });
  assert.equal(new Set(three).size, 3);
  assert.deepEqual(errors, []);
  await context.close();
});

test("smaller than the algorithm's minimum is refused", async () => {
  const { context, page } = await open();
  const out = await generate(page, { alg: "HS512", bytes: 63 });
  assert.deepEqual(out, []);
  assert.match(await page.textContent("#secret-error"), /HS512 needs at least 64 bytes/);
  await context.close();
});

test(".env blocks: one secret per purpose and environment", async () => {
  const { context, page } = await open();
  const [env] = await generate(page, {
    alg: "HS384", format: "env", purposes: ["access", "refresh"], environments: "development, production",
  });
  const lines = env.trim().split("\n");
  assert.deepEqual(lines.filter((l) => l.startsWith("#")), ["# development", "# production"]);
  const values = lines.filter((l) => l.includes("="));
  assert.deepEqual(values.map((l) => l.split("=")[0]), [
    "JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET",
  ]);
  const secrets = values.map((l) => l.split("=")[1]);
  assert.equal(new Set(secrets).size, 4);
  for (const s of secrets) assert.equal(decodeB64url(s).length, 48);
  // jwtkeep reads the block as a .env file.
  const dir = mkdtempSync(path.join(os.tmpdir(), "jwtkeep-web-"));
  const file = path.join(dir, ".env");
  writeFileSync(file, env.split("# production")[1], { mode: 0o600 });
  const run = jwtkeepRun(["check", "--dotenv", file, "--alg", "HS384"]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  await context.close();
});

test("the JWK's kid is its RFC 7638 thumbprint, as the CLI computes it", async () => {
  const { context, page } = await open();
  for (const alg of ["HS256", "HS512"]) {
    const [text] = await generate(page, { alg, format: "jwk" });
    const jwk = JSON.parse(text);
    assert.equal(jwk.kty, "oct");
    assert.equal(jwk.alg, alg);
    assert.equal(decodeB64url(jwk.k).length, MIN[alg]);
    const expected = createHash("sha256").update(`{"k":"${jwk.k}","kty":"oct"}`).digest("base64url");
    assert.equal(jwk.kid, expected);
    const dir = mkdtempSync(path.join(os.tmpdir(), "jwtkeep-web-"));
    const file = path.join(dir, "secret.jwk.json");
    writeFileSync(file, JSON.stringify({ kty: "oct", k: jwk.k }), { mode: 0o600 });
    const run = jwtkeepRun(["key", "thumbprint", "--key", file]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), jwk.kid);
  }
  await context.close();
});

test("a generated secret passes jwtkeep check; a weak one fails the page's check", async () => {
  const { context, page } = await open();
  const [secret] = await generate(page, { alg: "HS256" });
  const run = jwtkeepRun(["check", "--alg", "HS256"], secret);
  assert.equal(run.status, 0, run.stdout + run.stderr);

  await page.fill("#check-secret", secret);
  await page.click("#check");
  assert.match(await page.textContent("#verdict"), /^Strong enough for HS256/);
  for (const weak of ["secret", "your-256-bit-secret", "myapp-secret-2024", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
    await page.fill("#check-secret", weak);
    await page.click("#check");
    assert.match(await page.textContent("#verdict"), /^Weak for HS256/, weak);
  }
  assert.match(await page.textContent("#check-output"), /checked locally/);
  await context.close();
});

test("key pairs are usable by jwtkeep and their kid is the thumbprint", async () => {
  const { context, page, errors } = await open();
  for (const alg of ["ES256", "ES384", "RS256", "EdDSA"]) {
    await page.selectOption("#pair-alg", alg);
    await page.click("#generate-pair");
    await page.waitForSelector("#pair-output pre >> nth=3", { timeout: 30000 });
    const [privatePem, publicPem, privateJwk, jwks] = await page.$$eval("#pair-output pre", (p) => p.map((e) => e.textContent));
    const dir = mkdtempSync(path.join(os.tmpdir(), "jwtkeep-web-"));
    const files = {
      "private.pem": privatePem, "public.pem": publicPem, "private.jwk.json": privateJwk, "jwks.json": jwks,
    };
    for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, name), body, { mode: 0o600 });
    for (const name of ["private.pem", "public.pem"]) {
      const run = jwtkeepRun(["key", "inspect", "--key", path.join(dir, name), "--alg", alg, "--json"]);
      assert.equal(run.status, 0, `${alg} ${name}: ${run.stdout}${run.stderr}`);
    }
    const thumb = jwtkeepRun(["key", "thumbprint", "--key", path.join(dir, "jwks.json"), "--json"]);
    assert.equal(thumb.status, 0, thumb.stdout);
    const [{ kid, kid_is_thumbprint }] = JSON.parse(thumb.stdout).keys;
    assert.equal(kid_is_thumbprint, true);
    assert.equal(JSON.parse(privateJwk).kid, kid);
    // A token signed with the page's private key verifies against the page's JWKS.
    const token = jwtkeepRun(["token", "sign", "--key", path.join(dir, "private.jwk.json"), "--sub", "u"]);
    assert.equal(token.status, 0, token.stderr);
    const verify = jwtkeepRun(["token", "verify", "--key", path.join(dir, "jwks.json")], token.stdout);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("the copy button puts the value on the clipboard and says so", async () => {
  const { context, page } = await open(origin + "/");
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const [secret] = await generate(page, { alg: "HS256", purposes: ["access", "refresh"] });
  await page.click("#secret-output .copy >> nth=0");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  assert.equal(await page.textContent("#secret-output .copied >> nth=0"), "Copied");
  // Keyboard: the second copy button is reachable and works with Enter.
  await page.focus("#secret-output .copy >> nth=1");
  await page.keyboard.press("Enter");
  const second = await page.textContent("#secret-output pre >> nth=1");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), second);
  await context.close();
});

test("nothing is requested after the page loads, and a connection attempt is blocked", async () => {
  for (const url of ["file://" + pagePath, origin + "/"]) {
    const { context, page, requests } = await open(url);
    await generate(page, { format: "jwk", purposes: ["access", "refresh", "email"] });
    await generate(page, { format: "env", environments: "production" });
    await page.selectOption("#pair-alg", "ES256");
    await page.click("#generate-pair");
    await page.waitForSelector("#pair-output pre >> nth=3");
    const blocked = await page.evaluate(async (target) => {
      try {
        await fetch(target, { method: "POST", body: "secret" });
        return false;
      } catch {
        return true;
      }
    }, origin + "/exfiltrate");
    assert.equal(blocked, true, "connect-src 'none' must block fetch");
    assert.deepEqual(requests, [url], `${url}: only the page itself was requested`);
    await context.close();
  }
});

test("every control is labelled, and the page is written as a screenshot", async () => {
  const { context, page } = await open();
  const unlabelled = await page.$$eval("input, select", (els) =>
    els.filter((e) => !e.closest("label") && !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.id || e.name));
  assert.deepEqual(unlabelled, []);
  await generate(page, { purposes: ["access", "refresh"] });
  await page.screenshot({ path: path.join(artefacts, "page-light.png"), fullPage: true });
  const dark = await browser.newContext({ colorScheme: "dark" });
  const darkPage = await dark.newPage();
  await darkPage.goto("file://" + pagePath);
  await darkPage.screenshot({ path: path.join(artefacts, "page-dark.png"), fullPage: true });
  await dark.close();
  await context.close();
});
