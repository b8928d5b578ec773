// Test helpers (not a test) for the browser tests in web/test/: where the
// repository and the binary are, Debian's Chromium, and `jwtkeep serve` on a
// free loopback port.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The repository's root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The jwtkeep binary under test. */
export const jwtkeep = process.env.JWTKEEP_BIN || path.join(root, "target", "debug", "jwtkeep");

/** Headless Chromium (Debian's, or $CHROMIUM), with `args` besides the usual. */
export function launchChromium(args = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", ...args],
  });
}

/**
 * `jwtkeep serve` on a free loopback port: resolves to the child and its
 * origin (http or, with --tls-cert among `args`, https) once it listens.
 */
export function startServe(jwtkeep, dataDir, env, args = []) {
  const child = spawn(
    jwtkeep,
    ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, ...args],
    { stdio: ["ignore", "ignore", "pipe"], env },
  );
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const found = seen.match(/listening on (https?:\/\/[0-9.:]+)/);
      if (found) resolve({ child, origin: found[1] });
    });
    child.on("exit", (code) => reject(new Error(`jwtkeep serve exited (${code}): ${seen}`)));
  });
}
