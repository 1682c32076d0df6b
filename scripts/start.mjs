// `npm start`: the whole service locally under wrangler dev (Miniflare: Queues, Durable Objects, D1).
// First run: writes .dev.vars from .dev.vars.example with a fresh local kernel key, so that
// `npm run send-sample` can sign like the kernel. Extra arguments pass through to wrangler (`npm start -- --port 9000`).
// With no GitHub credentials in .dev.vars (GITHUB_TOKEN, or APP_ID + APP_PRIVATE_KEY), the local GitHub double
// (the one the tests use) serves GitHub at http://127.0.0.1:8789 (GITHUB_DOUBLE_PORT), and issues appear there; it
// knows the sample workflow runs of scripts/samples/actions-runs.json.
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

/** The values of a dotenv file (KEY="value" or KEY=value lines). */
function readVars(path) {
  const vars = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    vars[match[1]] = value;
  }
  return vars;
}

const vars = readVars(".dev.vars");
const hasCredentials = Boolean(vars.GITHUB_TOKEN || process.env.GITHUB_TOKEN || (vars.APP_ID && vars.APP_PRIVATE_KEY));
// --test-scheduled: `GET /__scheduled?cron=…` runs the daily cron on demand (local only).
// --local: remote bindings off (wrangler.toml's [ai] binding, Workers AI, is always remote and needs a Cloudflare login;
// locally the fix proposer is the OpenAI-compatible one, or none).
const devArgs = ["--test-scheduled", "--local"];
let double;
if (!hasCredentials) {
  const { GitHubDouble, startServer } = await import("../tests/github-double/index.ts");
  const port = Number(process.env.GITHUB_DOUBLE_PORT ?? 8789);
  const github = new GitHubDouble();
  github.warmUp();
  // The sample plugin's repo, as on GitHub: its manifest.json names the worker URL, which is what verifies the
  // sample's sourceRepo claim (docs/trust.md). Nothing else is seeded.
  const SAMPLE_REPO = "ubiquity-os-marketplace/command-start-stop";
  github.putFile(SAMPLE_REPO, "manifest.json", `${JSON.stringify({ name: "Start | Stop", short_name: `${SAMPLE_REPO}@main`, homepage_url: "https://command-start-stop-main.deno.dev" }, null, 2)}\n`);
  // The sample workflow runs (scripts/samples/actions-runs.json): their jobs, annotations and logs, so that
  // `npm run send-sample -- --file scripts/samples/workflow-run-failure.json …` gets an issue that says what broke.
  for (const run of JSON.parse(readFileSync("scripts/samples/actions-runs.json", "utf8"))) github.addWorkflowRun(run);
  double = await startServer(github, port);
  devArgs.push("--var", `GITHUB_API_URL:${double.url}`, "--var", "GITHUB_TOKEN:ghp_localGitHubDoubleToken000000000000000");
  console.log(`[start] no GitHub credentials in .dev.vars: using the local GitHub double at ${double.url} — its issues: ${double.url}/`);
}

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env: { ...env, CI: "true" } });
if (migrate.status !== 0) {
  console.error("[start] applying the D1 migrations failed");
  process.exit(migrate.status ?? 1);
}

const dev = spawn("wrangler", ["dev", ...devArgs, ...process.argv.slice(2)], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", async (code) => {
  await double?.close();
  process.exit(code ?? 0);
});
