// Which Chromium the browser tests drive, and that the one npm install brings really runs (even where a system
// Chromium exists, so this machine's setup never hides a broken packaged browser).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { DEBIAN_CHROMIUM, packagedChromium, pickChromium } from "../support/chromium";
import { ROOT } from "../support/local-stack";

const only = (...paths: string[]) => (path: string) => paths.includes(path);

describe("pickChromium", () => {
  it("takes CHROMIUM_PATH first, even when Debian's is there", () => {
    expect(pickChromium({ CHROMIUM_PATH: "/opt/chrome/chrome" }, only("/opt/chrome/chrome", DEBIAN_CHROMIUM))).toEqual({ source: "CHROMIUM_PATH", path: "/opt/chrome/chrome" });
  });

  it("refuses a CHROMIUM_PATH that does not exist, naming it", () => {
    expect(() => pickChromium({ CHROMIUM_PATH: "/nowhere/chromium" }, only(DEBIAN_CHROMIUM))).toThrow(/CHROMIUM_PATH is set to \/nowhere\/chromium, but there is no file there/);
  });

  it("takes Debian's /usr/bin/chromium when present", () => {
    expect(pickChromium({}, only(DEBIAN_CHROMIUM))).toEqual({ source: "debian", path: DEBIAN_CHROMIUM });
    expect(pickChromium({ CHROMIUM_PATH: "" }, only(DEBIAN_CHROMIUM))).toEqual({ source: "debian", path: DEBIAN_CHROMIUM });
  });

  it("falls back to the packaged Chromium when the machine has none", () => {
    expect(pickChromium({}, only())).toEqual({ source: "packaged" });
  });
});

describe("the Chromium packed in @sparticuz/chromium", () => {
  it("unpacks into node_modules/.cache and renders a page", async () => {
    const path = packagedChromium();
    const { version } = JSON.parse(readFileSync(join(ROOT, "node_modules/@sparticuz/chromium/package.json"), "utf8")) as { version: string };
    expect(path).toBe(join(ROOT, "node_modules/.cache/daemon-hotfix", `sparticuz-chromium-${version}`, "chromium"));
    expect(existsSync(path)).toBe(true);
    expect(packagedChromium()).toBe(path);

    const browser = await chromium.launch({ executablePath: path, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    try {
      // The package's major version is Chromium's.
      expect(browser.version().split(".")[0]).toBe(version.split(".")[0]);
      const page = await browser.newPage();
      await page.setContent("<h1 id=t>daemon-hotfix</h1>");
      expect(await page.locator("#t").innerText()).toBe("daemon-hotfix");
    } finally {
      await browser.close();
    }
  });
});
