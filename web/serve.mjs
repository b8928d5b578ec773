// Test helper (not a test): `jwtkeep serve` on a free loopback port, for the
// browser tests in web/test/. Resolves to the child and its origin once the
// service says it listens.
import { spawn } from "node:child_process";

export function startServe(jwtkeep, dataDir, env) {
  const child = spawn(jwtkeep, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir], {
    stdio: ["ignore", "ignore", "pipe"],
    env,
  });
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const found = seen.match(/listening on (http:\/\/[0-9.:]+)/);
      if (found) resolve({ child, origin: found[1] });
    });
    child.on("exit", (code) => reject(new Error(`jwtkeep serve exited (${code}): ${seen}`)));
  });
}
