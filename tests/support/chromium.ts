/**
 * The Chromium the browser tests drive. A system Chromium when there is one (`CHROMIUM_PATH`, then Debian's
 * `/usr/bin/chromium`), else the Chromium that `npm install` brought: `@sparticuz/chromium` ships it brotli-packed
 * inside the npm package, and it is unpacked once, on first use, into `node_modules/.cache/` (per package version).
 * Nothing is downloaded. Node only.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { ROOT } from "./local-stack.ts";

export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

export type ChromiumChoice = { source: "CHROMIUM_PATH" | "debian"; path: string } | { source: "packaged" };

/** Which Chromium to use: `CHROMIUM_PATH` (it must exist), else Debian's, else the packaged one. */
export function pickChromium(env: Record<string, string | undefined>, exists: (path: string) => boolean): ChromiumChoice {
  const wanted = env.CHROMIUM_PATH;
  if (wanted) {
    if (!exists(wanted)) throw new Error(`CHROMIUM_PATH is set to ${wanted}, but there is no file there (unset it to use the Chromium that npm install brought)`);
    return { source: "CHROMIUM_PATH", path: wanted };
  }
  if (exists(DEBIAN_CHROMIUM)) return { source: "debian", path: DEBIAN_CHROMIUM };
  return { source: "packaged" };
}

/** The packaged Chromium's folder under node_modules/.cache, named by the package's version. */
function packagedDir(): { packageDir: string; dir: string } {
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve("@sparticuz/chromium")));
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string };
  return { packageDir, dir: join(ROOT, "node_modules", ".cache", "daemon-hotfix", `sparticuz-chromium-${version}`) };
}

/**
 * Unpacks the packaged Chromium (once) and returns its binary. The package's own `executablePath()` unpacks into
 * the OS temp folder; it runs in a child whose TMPDIR is a fresh staging folder, which is then renamed into place,
 * so a half-unpacked browser is never used and two test runs at once do not trip over each other.
 */
export function packagedChromium(): string {
  const { packageDir, dir } = packagedDir();
  const binary = join(dir, "chromium");
  if (existsSync(binary)) return binary;
  const staging = `${dir}.partial-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    const script = "const { default: chromium } = await import(process.argv[1]); process.stdout.write(await chromium.executablePath());";
    const unpacked = execFileSync(process.execPath, ["--input-type=module", "-e", script, pathToFileURL(join(packageDir, "build", "index.js")).href], {
      env: { ...process.env, TMPDIR: staging },
      encoding: "utf8",
    });
    if (unpacked !== join(staging, "chromium")) throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, expected ${join(staging, "chromium")}`);
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another run unpacked it first: use theirs.
      if (!existsSync(binary)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** The path of the Chromium to drive, and where it came from. */
export function chromiumExecutable(env: Record<string, string | undefined> = process.env): { source: string; path: string } {
  const choice = pickChromium(env, existsSync);
  return choice.source === "packaged" ? { source: "packaged (@sparticuz/chromium)", path: packagedChromium() } : choice;
}

/**
 * Headless Chromium for tests. As root it needs --no-sandbox; the network flags keep it from calling out (the
 * machine has no network but the package registries, and refused connections only make noise).
 */
export async function launchChromium(): Promise<Browser> {
  const { path } = chromiumExecutable();
  return chromium.launch({
    executablePath: path,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
