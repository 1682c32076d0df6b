/**
 * A frozen copy of what the service is built from, taken when the bench starts. `wrangler dev` rebuilds the Worker
 * whenever a source file changes, so benchmarking the live working tree while it is being edited would measure
 * several versions (or a broken build) in one run. The copy holds the Worker's sources, the migrations, the
 * wrangler config and the local-stack helper with the GitHub double; node_modules is linked, not copied.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PARTS = ["workers", "shared", "migrations", "wrangler.toml", "package.json", "tsconfig.json", "tests/support", "tests/github-double"];

export interface Snapshot {
  dir: string;
  /** HEAD of the working tree when the copy was taken. */
  commit: string;
  /** Paths of the copied parts that differ from HEAD (uncommitted edits included in the copy). */
  dirty: string[];
  remove(): void;
}

function git(root: string, args: string[]): string {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return r.status === 0 ? r.stdout : "";
}

export function takeSnapshot(root: string): Snapshot {
  const dir = mkdtempSync(join(tmpdir(), "daemon-hotfix-bench-src-"));
  for (const part of PARTS) {
    const from = join(root, part);
    if (existsSync(from)) cpSync(from, join(dir, part), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  const commit = git(root, ["rev-parse", "--short=12", "HEAD"]).trim() || "unknown";
  const dirty = git(root, ["status", "--porcelain", "--", ...PARTS])
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.slice(3));
  return { dir, commit, dirty, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
