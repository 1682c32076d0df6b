// `npm run provision -- --env production [--dry-run]`: creates what a deployment of daemon-hotfix needs on
// Cloudflare, in order — queues, the D1 database (its id is written into wrangler.toml), remote migrations,
// secrets (prompted by wrangler, never echoed) — and deploys. --dry-run prints each command instead of running it.
// Needs `wrangler login` (or CLOUDFLARE_API_TOKEN). Idempotent: what exists already is kept.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    env: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "skip-secrets": { type: "boolean", default: false },
    "skip-deploy": { type: "boolean", default: false },
  },
});
const env = values.env;
if (env !== "staging" && env !== "production") {
  console.error("provision: --env staging|production is required");
  process.exit(2);
}
const dry = values["dry-run"];
const prefix = `daemon-hotfix-${env}`;

function run(args, { input, allowFailure = false, capture = false } = {}) {
  const line = `wrangler ${args.join(" ")}`;
  if (dry) {
    console.log(`$ ${line}`);
    return { status: 0, stdout: "" };
  }
  console.log(`→ ${line}`);
  const result = spawnSync("wrangler", args, { stdio: capture ? ["inherit", "pipe", "inherit"] : input ? ["pipe", "inherit", "inherit"] : "inherit", input, encoding: "utf8" });
  if (result.status !== 0 && !allowFailure) {
    console.error(`provision: \`${line}\` failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
  return result;
}

// 1. Queues: events, writes (the clusters' GitHub steps), ci (CI-context reads) and the dead-letter queue (an
// existing queue is fine).
for (const queue of [`${prefix}-events`, `${prefix}-writes`, `${prefix}-ci`, `${prefix}-dlq`]) run(["queues", "create", queue], { allowFailure: true });

// 2. D1: create, then record its id in wrangler.toml's [env.<env>] block.
const created = run(["d1", "create", prefix], { allowFailure: true, capture: true });
const id = /database_id\s*=\s*"([0-9a-f-]{36})"/.exec(created.stdout ?? "")?.[1] ?? /"uuid":\s*"([0-9a-f-]{36})"/.exec(created.stdout ?? "")?.[1];
if (id) {
  const toml = readFileSync("wrangler.toml", "utf8");
  const pattern = new RegExp(`(database_name = "${prefix}"\\ndatabase_id = ")[0-9a-f-]{36}(")`);
  writeFileSync("wrangler.toml", toml.replace(pattern, `$1${id}$2`));
  console.log(`   wrangler.toml: ${prefix} database_id = ${id}`);
} else if (!dry) {
  console.log(`   ${prefix} exists already: check its database_id in wrangler.toml (wrangler d1 list)`);
}

// 3. Schema.
run(["d1", "migrations", "apply", "DB", "--remote", "--env", env]);

// 4. Secrets: wrangler prompts for each value (nothing is echoed or stored here).
if (!values["skip-secrets"]) {
  for (const name of ["KERNEL_PUBLIC_KEY", "ADMIN_TOKEN", "APP_ID", "APP_PRIVATE_KEY"]) run(["secret", "put", name, "--env", env]);
}

// 5. Deploy, then check /healthz (it names every configuration problem).
if (!values["skip-deploy"]) run(["deploy", "--env", env]);
console.log(`\nNext: curl https://<your-worker-host>/healthz — 200 {"status":"ok"} or 503 with the problems to fix; then point the kernel at it (docs/deploy.md).`);
