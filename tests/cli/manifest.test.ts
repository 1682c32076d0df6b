// Runs in Node: `npm run manifest` is a Node script (it imports the Worker's shared TypeScript as it is).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MANIFEST_SHORT_NAME, manifest, settingsJsonSchema } from "../../shared/manifest";

const ROOT = resolve(import.meta.dirname, "../..");
const NODE = process.env.DAEMON_HOTFIX_TEST_NODE || process.execPath;
const dir = mkdtempSync(join(tmpdir(), "daemon-hotfix-manifest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(NODE, [join(ROOT, "scripts/manifest.mjs"), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } as unknown as NodeJS.ProcessEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

// Issue 13: for the GitHub-keyed setup the kernel reads the repo's committed manifest.json, not the served one.
describe("npm run manifest", { timeout: 60_000 }, () => {
  it("writes the manifest.json to commit, from the same code and schema as the served one, homepage_url from PUBLIC_URL", async () => {
    const out = join(dir, "manifest.json");
    const result = await run(["--out", out], { PUBLIC_URL: "https://hotfix.acme.workers.dev", MANIFEST_SHORT_NAME: "acme/daemon-hotfix@main" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const written = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    expect(written).toEqual(manifest({ homepageUrl: "https://hotfix.acme.workers.dev", shortName: "acme/daemon-hotfix@main" }));
    expect(written).toMatchObject({ name: "daemon-hotfix", short_name: "acme/daemon-hotfix@main", homepage_url: "https://hotfix.acme.workers.dev", skipBotEvents: false });
    expect(written["configuration"]).toEqual(settingsJsonSchema());
  });

  it("takes flags over the environment, and defaults short_name", async () => {
    const out = join(dir, "flags.json");
    const result = await run(["--out", out, "--homepage-url", "https://flag.example.dev"], { PUBLIC_URL: "https://env.example.dev" });
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ homepage_url: "https://flag.example.dev", short_name: DEFAULT_MANIFEST_SHORT_NAME });
  });

  it("--check says whether the committed file is up to date", async () => {
    const out = join(dir, "check.json");
    const env = { PUBLIC_URL: "https://hotfix.acme.workers.dev" };
    expect((await run(["--out", out], env)).code).toBe(0);
    expect((await run(["--out", out, "--check"], env)).code).toBe(0);
    writeFileSync(out, "{}\n");
    const stale = await run(["--out", out, "--check"], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("is not up to date");
  });

  it("refuses, with a clear usage error, to write a manifest the kernel would not POST to", async () => {
    const missing = await run(["--out", join(dir, "none.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^manifest: no homepage URL/);
    const badName = await run(["--out", join(dir, "none.json"), "--homepage-url", "https://x.example.dev", "--short-name", "nope"]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^manifest: --short-name is not owner\/repo@ref/);
    expect((await run(["--homepage-url", "http://insecure.example.dev", "--out", join(dir, "none.json")])).stderr).toMatch(/must be https/);
  });
});
