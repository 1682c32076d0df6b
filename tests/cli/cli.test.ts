// The daemon-hotfix CLI (scripts/cli.mjs), run as a child process against a fake admin API on an ephemeral port.
// Runs in Node (environment: node), not workerd: it spawns processes. The fake implements the admin contract with
// in-memory data and checks the bearer token; its `POST /` verifies the kernel signature with plugin-sdk.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { verifySignature } from "@ubiquity-os/plugin-sdk/signature";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as v from "valibot";
import { PluginInputs } from "../../shared/plugin-input";
import type { AdminCluster } from "../../workers/ops/clusters";
import type { DeadLetterSummary } from "../../workers/ops/dead-letters";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "scripts", "cli.mjs");
const SEND_SAMPLE = join(ROOT, "scripts", "send-sample.mjs");
/** The Node that runs the CLI: this one, or e.g. DAEMON_HOTFIX_TEST_NODE=/usr/bin/node to check an older Node. */
const NODE = process.env.DAEMON_HOTFIX_TEST_NODE || process.execPath;
const TOKEN = "test-admin-token-4f1c2b9e7d";
/** The fake answers at most this many items per page, whatever the CLI asks for: the CLI must follow nextCursor. */
const PAGE_CAP = 2;

// The admin API's own shapes: the fake answers what the Worker answers.
type DeadLetter = DeadLetterSummary & { body: unknown };
type Cluster = AdminCluster;
type Seen = { method: string; path: string; query: Record<string, string> };

const fake = {
  deadLetters: [] as DeadLetter[],
  clusters: [] as Cluster[],
  requests: [] as Seen[],
  posts: [] as { verified: boolean; eventName: unknown; event: unknown; settings: unknown }[],
  kernelPublicKey: "",
};

function deadLetter(n: number, over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id: `dl-${n}`,
    eventId: `evt-${n}`,
    repo: "ubiquity/work.ubq.fi",
    plugin: "https://command-start-stop-main.deno.dev",
    queue: "daemon-hotfix-events",
    reason: `POST /repos/ubiquity/work.ubq.fi/issues: 410 Issues are disabled for this repo (${n})`,
    attempts: n,
    createdAt: `2026-11-20T10:0${n}:00.000Z`,
    replayedAt: null,
    body: { eventId: `evt-${n}`, failure: { message: "HTTP 500" } },
    ...over,
  };
}

function seed() {
  fake.deadLetters = [
    deadLetter(1),
    deadLetter(2, { repo: "ubiquity-os/other", reason: `${"a very long reason ".repeat(10)}end` }),
    deadLetter(3),
    deadLetter(4, { body: null, reason: "unreadable message" }), // not replayable
    deadLetter(5),
    deadLetter(6, { replayedAt: "2026-11-21T00:00:00.000Z" }),
    deadLetter(7, { replayedAt: "2026-11-21T00:00:00.000Z", repo: "ubiquity-os/other" }),
  ];
  fake.clusters = ["a", "b", "c"].map((c, i) => ({
    fingerprint: `${c.repeat(12)}${"0123456789abcdef0123456789ab"}`, // 40 hex, like the service's
    grouping: "v2",
    repo: i === 2 ? "ubiquity-os/other" : "ubiquity-os-marketplace/command-start-stop",
    plugin: "https://command-start-stop-main.deno.dev",
    category: "http",
    issueNumber: i === 1 ? null : i + 1,
    issueUrl: i === 1 ? null : `https://github.com/ubiquity-os-marketplace/command-start-stop/issues/${i + 1}`,
    state: i === 1 ? "blocked" : "open",
    stateReason: null,
    total: 10 * (i + 1),
    reflected: 10 * (i + 1),
    firstSeen: "2026-11-20T10:00:00.000Z",
    lastSeen: `2026-11-20T11:0${i}:00.000Z`,
    blockedReason: i === 1 ? "repo not found" : null,
    updatedAt: "2026-11-20T11:00:00.000Z",
  }));
  fake.requests = [];
  fake.posts = [];
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function page<T>(items: T[], query: Record<string, string>) {
  const offset = Number(query.cursor ?? 0);
  const size = Math.min(Number(query.limit ?? 50), PAGE_CAP);
  const next = offset + size < items.length ? String(offset + size) : null;
  return { items: items.slice(offset, offset + size), nextCursor: next };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://fake");
  const query = Object.fromEntries(url.searchParams);
  const method = req.method ?? "GET";
  fake.requests.push({ method, path: url.pathname, query });

  if (method === "POST" && url.pathname === "/") {
    const inputs = v.parse(PluginInputs, await readJson(req));
    const verified = await verifySignature(fake.kernelPublicKey, inputs, inputs.signature ?? "");
    const event = JSON.parse(brotliDecompressSync(Buffer.from(inputs.eventPayload, "base64")).toString("utf8"));
    fake.posts.push({ verified, eventName: inputs.eventName, event, settings: JSON.parse(inputs.settings) });
    if (!verified) return send(res, 401, { error: "invalid_signature", message: "the signature is not the kernel's" });
    return send(res, 200, { stateId: inputs.stateId, output: { status: "queued", eventId: "evt-from-replay" } });
  }
  if (!url.pathname.startsWith("/admin/")) {
    return res.writeHead(404, { "content-type": "text/html" }).end("<h1>Not Found</h1>");
  }
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return send(res, 401, { error: "unauthorised", message: "a valid admin bearer token is needed" });
  }
  const parts = url.pathname.split("/").slice(2).map(decodeURIComponent); // ["dead-letters", id?, "replay"?]
  if (parts[0] === "dead-letters") {
    const id = parts[1];
    if (id === undefined && method === "GET") {
      const replayed = query.replayed ?? "false";
      const matching = fake.deadLetters.filter(
        (d) =>
          (!query.repo || d.repo === query.repo) &&
          (!query.plugin || d.plugin === query.plugin) &&
          (replayed === "all" || (replayed === "true") === (d.replayedAt !== null)),
      );
      const { items, nextCursor } = page(matching, query);
      return send(res, 200, { deadLetters: items.map(({ body: _body, ...d }) => d), nextCursor });
    }
    if (id === "boom") return send(res, 500, { error: "internal", message: "D1 is unavailable" });
    const dl = fake.deadLetters.find((d) => d.id === id);
    if (!dl) return send(res, 404, { error: "not_found", message: `no dead letter ${id}` });
    if (method === "GET" && parts.length === 2) return send(res, 200, { deadLetter: dl });
    if (method === "POST" && parts[2] === "replay") {
      let status = "replayed";
      if (dl.body === null) status = "not_replayable";
      else if (dl.replayedAt && query.force !== "true") status = "already_replayed";
      else dl.replayedAt = new Date().toISOString();
      return send(res, 200, { id: dl.id, status, eventId: dl.eventId });
    }
    if (method === "DELETE" && parts.length === 2) {
      fake.deadLetters = fake.deadLetters.filter((d) => d !== dl);
      return send(res, 200, { id: dl.id, deleted: true });
    }
  }
  if (parts[0] === "clusters" && method === "GET") {
    if (parts[1] === undefined) {
      const matching = fake.clusters.filter(
        (c) => (!query.repo || c.repo === query.repo) && (!query.plugin || c.plugin === query.plugin) && (!query.state || c.state === query.state),
      );
      const { items, nextCursor } = page(matching, query);
      return send(res, 200, { clusters: items, nextCursor });
    }
    if (!/^[0-9a-f]{40}$/.test(parts[1])) return send(res, 400, { error: "invalid_query", message: "a fingerprint is 40 hex characters" });
    const cluster = fake.clusters.find((c) => c.fingerprint === parts[1]);
    return cluster ? send(res, 200, { cluster }) : send(res, 404, { error: "not_found", message: `no cluster ${parts[1]}` });
  }
  return send(res, 404, { error: "not_found", message: `no route ${method} ${url.pathname}` });
}

let server: Server;
let baseUrl: string;
let workdir: string; // an empty directory: no .dev.vars of the developer's leaks into the tests
let keyFile: string;
let eventFile: string;

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the CLI (asynchronously: the fake server lives in this process) with exactly this environment. */
function cli(args: string[], { env, cwd, script }: { env?: Record<string, string>; cwd?: string; script?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [script ?? CLI, ...args], {
      cwd: cwd ?? workdir,
      // Exactly this environment (ProcessEnv is widened with the Worker's bindings by the project's types).
      env: (env ?? { PATH: process.env.PATH ?? "", DAEMON_HOTFIX_URL: baseUrl, DAEMON_HOTFIX_TOKEN: TOKEN }) as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const listRequests = (path: string) => fake.requests.filter((r) => r.method === "GET" && r.path === path);

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { error: "fake_broke", message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workdir = mkdtempSync(join(tmpdir(), "daemon-hotfix-cli-"));
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  fake.kernelPublicKey = keys.publicKey;
  keyFile = join(workdir, "kernel-private.pem");
  writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
  eventFile = join(ROOT, "scripts", "samples", "kernel-plugin-error.json");
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(workdir, { recursive: true, force: true });
});

beforeEach(seed);

describe("dlq list", { timeout: 30_000 }, () => {
  it("follows nextCursor through every page and prints a table with a count", async () => {
    const run = await cli(["dlq", "list"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+CREATED\s+REPO\s+ATTEMPTS\s+REASON$/);
    for (const id of ["dl-1", "dl-2", "dl-3", "dl-4", "dl-5"]) expect(run.stdout).toContain(`${id}  `);
    expect(run.stdout).not.toContain("dl-6");
    expect(lines.at(-1)).toBe("5 dead letters");
    expect(run.stdout).toContain("2026-11-20T10:01:00Z");
    expect(run.stdout).toContain("…"); // the long reason is cut
    expect(run.stdout).not.toContain("end\n");
    // 5 waiting, at most 2 a page: three requests, the later two with the cursors given.
    const pages = listRequests("/admin/dead-letters");
    expect(pages.map((p) => p.query.cursor)).toEqual([undefined, "2", "4"]);
    expect(pages.every((p) => p.query.replayed === "false")).toBe(true);
  });

  it("--all includes replayed ones, filters pass through, --limit stops early, --json is machine output", async () => {
    const all = await cli(["dlq", "list", "--all"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("dl-7");
    expect(all.stdout).toMatch(/REPLAYED/);
    expect(all.stdout.trimEnd().split("\n").at(-1)).toBe("7 dead letters (2 replayed)");

    fake.requests = [];
    const filtered = await cli(["--json", "dlq", "list", "--repo", "ubiquity-os/other", "--plugin", "https://command-start-stop-main.deno.dev"]);
    expect(filtered.code).toBe(0);
    const body = JSON.parse(filtered.stdout);
    expect(body.deadLetters.map((d: DeadLetter) => d.id)).toEqual(["dl-2"]);
    expect(listRequests("/admin/dead-letters")[0]?.query).toMatchObject({ repo: "ubiquity-os/other", plugin: "https://command-start-stop-main.deno.dev" });

    const limited = await cli(["dlq", "list", "--limit", "3"]);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toContain("dl-3");
    expect(limited.stdout).not.toContain("dl-4");
    expect(limited.stdout).toContain("3 dead letters shown; more remain");

    const bad = await cli(["dlq", "list", "--limit", "zero"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--limit must be a positive whole number");
  });
});

describe("dlq show / replay / purge", { timeout: 30_000 }, () => {
  it("show prints the dead letter with its body as JSON; an unknown id is the server's message, exit 1", async () => {
    const run = await cli(["dlq", "show", "dl-2"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(fake.deadLetters[1]);
    expect(run.stdout).toContain('\n  "id": "dl-2"'); // pretty

    const missing = await cli(["dlq", "show", "dl-404"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("daemon-hotfix: no dead letter dl-404\n");

    const broken = await cli(["dlq", "show", "boom"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe("daemon-hotfix: D1 is unavailable\n");
  });

  it("replay <id> replays one", async () => {
    const run = await cli(["dlq", "replay", "dl-1"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("replayed dl-1 (event evt-1)\n");
    expect(fake.deadLetters[0]?.replayedAt).not.toBeNull();
    expect(fake.requests.at(-1)).toMatchObject({ method: "POST", path: "/admin/dead-letters/dl-1/replay" });

    const again = await cli(["dlq", "replay", "dl-1"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already replayed");
    const forced = await cli(["dlq", "replay", "dl-1", "--force"]);
    expect(forced.stdout).toBe("replayed dl-1 (event evt-1)\n");
    expect(fake.requests.at(-1)?.query.force).toBe("true");
  });

  it("replay --all shows progress on stderr and a summary", async () => {
    const run = await cli(["dlq", "replay", "--all", "--repo", "ubiquity/work.ubq.fi"]);
    expect(run.code).toBe(0);
    // dl-1, dl-3, dl-4, dl-5 wait in that repo (over two pages); dl-4 cannot be replayed.
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "replayed 1/4 dl-1 replayed",
      "replayed 2/4 dl-3 replayed",
      "replayed 3/4 dl-4 not_replayable",
      "replayed 4/4 dl-5 replayed",
    ]);
    expect(run.stdout).toBe("replayed 3, skipped 1\n");
    expect(fake.deadLetters.filter((d) => d.replayedAt === null).map((d) => d.id)).toEqual(["dl-2", "dl-4"]);

    const json = await cli(["dlq", "replay", "--all", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ replayed: 1, skipped: 1, failed: 0 });
  });

  it("purge --all refuses without --yes, and purges with it", async () => {
    const refused = await cli(["dlq", "purge", "--all"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect(fake.requests.filter((r) => r.method === "DELETE")).toEqual([]);
    expect(fake.deadLetters).toHaveLength(7);

    const one = await cli(["dlq", "purge", "dl-1"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe("deleted dl-1\n");

    const purged = await cli(["dlq", "purge", "--all", "--repo", "ubiquity-os/other", "--yes"]);
    expect(purged.code).toBe(0);
    expect(purged.stderr).toContain("purged 2/2");
    expect(purged.stdout).toBe("purged 2, skipped 0\n");
    expect(fake.deadLetters.map((d) => d.id)).toEqual(["dl-3", "dl-4", "dl-5", "dl-6"]);
  });

  it("an id and --all together, or --repo without --all, are usage errors", async () => {
    const both = await cli(["dlq", "replay", "dl-1", "--all"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("not both");
    const stray = await cli(["dlq", "replay", "dl-1", "--repo", "x/y"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--repo only goes with --all");
    expect(fake.requests).toEqual([]);
  });
});

describe("clusters", { timeout: 30_000 }, () => {
  it("prints a table across pages, with short fingerprints and issue URLs", async () => {
    const run = await cli(["clusters"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^FINGERPRINT\s+REPO\s+STATE\s+TOTAL\s+ISSUE\s+LAST SEEN$/);
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^aaaaaaaaaaaa  ubiquity-os-marketplace\/command-start-stop  open\s+10  https:\/\/github\.com\/.*\/issues\/1  2026-11-20T11:00:00Z$/);
    expect(lines[2]).toMatch(/^bbbbbbbbbbbb .* blocked\s+20  -\s+2026-11-20T11:01:00Z$/);
    expect(run.stdout).not.toContain(fake.clusters[0]!.fingerprint);
    expect(lines.at(-1)).toBe("3 clusters");
    expect(listRequests("/admin/clusters").map((p) => p.query.cursor)).toEqual([undefined, "2"]);

    const filtered = await cli(["clusters", "--state", "open", "--repo", "ubiquity-os/other"]);
    expect(filtered.stdout).toContain("cccccccccccc");
    expect(filtered.stdout).toContain("1 cluster\n");
  });

  it("show prints one cluster, by its fingerprint or the 12 characters the table shows", async () => {
    const full = await cli(["clusters", "show", fake.clusters[1]!.fingerprint]);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toEqual(fake.clusters[1]);
    const short = await cli(["clusters", "show", "cccccccccccc"]);
    expect(short.code).toBe(0);
    expect(JSON.parse(short.stdout).fingerprint).toBe(fake.clusters[2]!.fingerprint);
    const unknown = await cli(["clusters", "show", "ffffffffffff"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("daemon-hotfix: no cluster has a fingerprint starting with ffffffffffff\n");
    const missing = await cli(["clusters", "show", "f".repeat(40)]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`daemon-hotfix: no cluster ${"f".repeat(40)}\n`);
  });
});

describe("errors", { timeout: 30_000 }, () => {
  it("a refused token: exit 2, says so, never prints the token", async () => {
    const wrong = "wrong-token-9b8a7c6d5e4f";
    for (const run of [
      await cli(["dlq", "list"], { env: { PATH: process.env.PATH ?? "", DAEMON_HOTFIX_URL: baseUrl, DAEMON_HOTFIX_TOKEN: wrong } }),
      await cli(["--token", wrong, "--url", baseUrl, "clusters"], { env: { PATH: process.env.PATH ?? "" } }),
    ]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`daemon-hotfix: the admin token was refused by ${baseUrl} (--token / DAEMON_HOTFIX_TOKEN)\n`);
      expect(run.stdout + run.stderr).not.toContain(wrong);
    }
  });

  it("an unreachable URL: exit 2, names it and asks whether the service runs", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}`;
    const run = await cli(["dlq", "list", "--url", url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`daemon-hotfix: cannot reach ${url}: ECONNREFUSED — is the service running? (--url / DAEMON_HOTFIX_URL)\n`);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it("no token anywhere: exit 2, says how to give one, sends nothing", async () => {
    const run = await cli(["dlq", "list"], { env: { PATH: process.env.PATH ?? "", DAEMON_HOTFIX_URL: baseUrl } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no admin token: pass --token TOKEN, set DAEMON_HOTFIX_TOKEN, or run from the directory whose \.dev\.vars has ADMIN_TOKEN/);
    expect(fake.requests).toEqual([]);
  });

  it("a service that is not daemon-hotfix: its non-JSON 404 says so", async () => {
    const run = await cli(["dlq", "list", "--url", `${baseUrl}/elsewhere`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`daemon-hotfix: ${baseUrl}/elsewhere does not look like daemon-hotfix`);
  });

  it("unknown commands and flags: usage, exit 2", async () => {
    for (const args of [["frobnicate"], ["dlq", "list", "--bogus"], ["dlq", "explode"], []]) {
      const run = await cli(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain("Usage: daemon-hotfix");
      expect(run.stdout).toBe("");
    }
    const help = await cli(["dlq", "replay", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: daemon-hotfix dlq replay <id>");
    const version = await cli(["--version"]);
    expect(version.stdout).toMatch(/^daemon-hotfix \d+\.\d+\.\d+/);
    expect(fake.requests).toEqual([]);
  });
});

describe("token from .dev.vars", { timeout: 30_000 }, () => {
  it("uses ADMIN_TOKEN of ./.dev.vars when neither --token nor DAEMON_HOTFIX_TOKEN is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "daemon-hotfix-devvars-"));
    try {
      writeFileSync(join(dir, ".dev.vars"), `# written by npm start\nKERNEL_PUBLIC_KEY="-----BEGIN PUBLIC KEY-----\\n...\\n-----END PUBLIC KEY-----"\nADMIN_TOKEN="${TOKEN}"\n`);
      const run = await cli(["dlq", "list"], { cwd: dir, env: { PATH: process.env.PATH ?? "", DAEMON_HOTFIX_URL: baseUrl } });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("5 dead letters");
      expect(run.stdout).not.toContain(TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("replay <event.json>", { timeout: 30_000 }, () => {
  it("signs the event like the kernel and POSTs it to <url>/", async () => {
    const run = await cli(["replay", eventFile, "--key", keyFile, "--settings", '{"windowMinutes":5}'], {
      env: { PATH: process.env.PATH ?? "", DAEMON_HOTFIX_URL: baseUrl }, // no admin token needed
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^200 \{/);
    expect(run.stdout).toContain('"status": "queued"');
    expect(fake.posts).toHaveLength(1);
    const post = fake.posts[0]!;
    expect(post.verified).toBe(true);
    expect(post.eventName).toBe("kernel.plugin_error");
    expect(post.settings).toEqual({ windowMinutes: 5 });
    expect(post.event).toEqual(JSON.parse(readFileSync(eventFile, "utf8"))); // as stored: not freshened
  });

  it("--event names it; --fresh makes it a new occurrence; a key the service refuses is exit 1", async () => {
    const fresh = await cli(["replay", eventFile, "--key", keyFile, "--event", "workflow_run.completed", "--fresh", "--json"]);
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ status: 200, body: { output: { status: "queued" } } });
    expect(fake.posts[0]?.eventName).toBe("workflow_run.completed");
    expect((fake.posts[0]?.event as { context: { requestId: string } }).context.requestId).toMatch(/^sample-\d+-0$/);

    const other = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const otherKey = join(workdir, "other-private.pem");
    writeFileSync(otherKey, other.privateKey);
    const refused = await cli(["replay", eventFile, "--key", otherKey]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${baseUrl}/ answered 401 invalid_signature: the signature is not the kernel's`);
    expect(refused.stderr).not.toContain("admin token");

    const noKey = await cli(["replay", eventFile, "--key", join(workdir, "absent.pem")]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("no private key at");
  });
});

describe("npm run send-sample", { timeout: 30_000 }, () => {
  it("signs the sample like the kernel and POSTs it; --count sends that many deliveries", async () => {
    const run = await cli(["--url", `${baseUrl}/`, "--key", keyFile, "--count", "2"], { script: SEND_SAMPLE });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(fake.posts.map((p) => p.verified)).toEqual([true, true]);
    const ids = fake.posts.map((p) => (p.event as { context: { requestId: string } }).context.requestId);
    expect(new Set(ids).size).toBe(2);
  });

  it("--help prints the usage; an unknown option is exit 2 with the usage, not a stack trace", async () => {
    const help = await cli(["--help"], { script: SEND_SAMPLE });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run send-sample -- /);
    const wrong = await cli(["--nope"], { script: SEND_SAMPLE });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("send-sample: Unknown option '--nope'");
    expect(wrong.stderr).toContain("usage: npm run send-sample");
    expect(wrong.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });
});
