/**
 * The whole service as a new user runs it — `wrangler dev` (Miniflare: queues, Durable Objects, D1 with the
 * migrations applied) in front of the GitHub double over HTTP — in a temporary state directory and on free ports,
 * for tests in a real browser and for the benchmark. Node only.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PluginInput } from "@ubiquity-os/plugin-sdk/signature";
import { GitHubDouble, startServer, type RunningServer } from "../github-double/index.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");

export interface LocalStack {
  url: string;
  adminToken: string;
  github: GitHubDouble;
  githubUrl: string;
  /** wrangler dev's inspector (the Chrome DevTools protocol): `http://127.0.0.1:<port>/json` lists the Worker. */
  inspectorPort: number;
  /** Signs an event like the kernel and POSTs it to `POST /`. */
  send(eventPayload: Record<string, unknown>, options?: { eventName?: string; settings?: Record<string, unknown> }): Promise<Response>;
  /** GET with the admin token. */
  admin(path: string): Promise<Response>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra Worker vars (strings), e.g. limits. */
  vars?: Record<string, string>;
  /** Options of the GitHub double. */
  github?: ConstructorParameters<typeof GitHubDouble>[0];
  log?: (line: string) => void;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** One line of the env file. A value holding double quotes (JSON, e.g. HOTFIX_POLICY) is single-quoted: dotenv keeps it as is. */
function envLine(name: string, value: string): string {
  return value.includes('"') && !value.includes("'") && !value.includes("\n") ? `${name}='${value}'` : `${name}=${JSON.stringify(value)}`;
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not answer /healthz within ${timeoutMs} ms:\n${output()}`);
}

export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const state = mkdtempSync(join(tmpdir(), "daemon-hotfix-stack-"));
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  const github = new GitHubDouble(options.github);
  github.warmUp();
  const githubServer: RunningServer = await startServer(github, 0);
  const port = await freePort();
  const inspector = await freePort();
  const adminToken = `admin-${Math.random().toString(36).slice(2)}`;
  const vars: Record<string, string> = {
    KERNEL_PUBLIC_KEY: keys.publicKey,
    GITHUB_API_URL: githubServer.url,
    GITHUB_TOKEN: "ghp_localStackToken000000000000000000000",
    ADMIN_TOKEN: adminToken,
    APP_ID: "",
    APP_PRIVATE_KEY: "",
    ...options.vars,
  };
  // Its own env file: a developer's .dev.vars never leaks into the run.
  const envFile = join(state, "stack.env");
  writeFileSync(envFile, `${Object.entries(vars).map(([k, v]) => envLine(k, v)).join("\n")}\n`);
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" };
  const persist = join(state, "wrangler");
  const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { cwd: ROOT, env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stdout}${migrate.stderr}`);
  let output = "";
  const child = spawn(WRANGLER, ["dev", "--local", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", persist, "--env-file", envFile, "--log-level", "warn"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    options.log?.(text);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    child.kill("SIGTERM");
    await githubServer.close();
    throw error;
  }

  return {
    url,
    adminToken,
    github,
    githubUrl: githubServer.url,
    inspectorPort: inspector,
    async send(eventPayload, opts = {}) {
      const inputs = await new PluginInput(
        keys.privateKey,
        crypto.randomUUID(),
        (opts.eventName ?? "kernel.plugin_error") as never,
        eventPayload as never,
        (opts.settings ?? {}) as never,
        "ghs_localStackInstallationToken0000000000",
        "main",
        null,
      ).getInputs();
      return fetch(`${url}/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(inputs) });
    },
    admin(path) {
      return fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
    },
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await githubServer.close();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
