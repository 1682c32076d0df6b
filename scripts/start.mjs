// `npm start`: the whole service locally under wrangler dev (Miniflare: Queues, Durable Objects, D1).
// First run: writes .dev.vars from .dev.vars.example with a fresh local kernel key, so that
// `npm run send-sample` can sign like the kernel. Extra arguments pass through to wrangler (`npm start -- --port 9000`).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { ensureLocalKernelKey } from "./local-key.mjs";

const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

function setVar(text, name, value) {
  const line = `${name}=${JSON.stringify(value)}`;
  const pattern = new RegExp(`^${name}=.*$`, "m");
  return pattern.test(text) ? text.replace(pattern, () => line) : `${text.trimEnd()}\n${line}\n`;
}

if (!existsSync(".dev.vars")) {
  const { publicKey } = ensureLocalKernelKey();
  let vars = readFileSync(".dev.vars.example", "utf8");
  vars = setVar(vars, "KERNEL_PUBLIC_KEY", publicKey);
  vars = setVar(vars, "ADMIN_TOKEN", randomBytes(24).toString("hex"));
  writeFileSync(".dev.vars", vars, { mode: 0o600 });
  console.log("[start] wrote .dev.vars (local kernel public key, a random ADMIN_TOKEN); edit it to change the configuration");
}

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env: { ...env, CI: "true" } });
if (migrate.status !== 0) {
  console.error("[start] applying the D1 migrations failed");
  process.exit(migrate.status ?? 1);
}

const dev = spawn("wrangler", ["dev", ...process.argv.slice(2)], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
