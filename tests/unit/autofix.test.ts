import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { PatchProposal } from "../../shared/autofix/proposal";
import { autoMergeAllowed, isSafePath, RISK_LIMITS, riskTier } from "../../shared/autofix/risk";
import { buildProposal } from "../../workers/autofix/build-proposal";
import { FixtureOnlyProposer, type FixProposer } from "../../workers/autofix/proposers";
import type { ClusterView } from "../../shared/cluster-view";
import { toFailure } from "../../shared/convert";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "../helpers/events";

const f = (path: string, content = "x") => ({ path, content });

describe("risk tier (deterministic, from the change alone)", () => {
  it.each([
    [[f(".daemon-hotfix/fixtures/abc.json")], "low"],
    [[f("test/fixtures/event.json"), f("tests/data/payload.txt")], "low"],
    // Executable files are never low, tests included: CI runs them with the repo's secrets (issue 12).
    [[f("tests/dispatch.test.ts")], "medium"],
    [[f("src/__tests__/a.ts")], "medium"],
    [[f("test/fixtures/event.js")], "medium"],
    [[f("src/dispatch.spec.mjs")], "medium"],
    [[f(".daemon-hotfix/fixtures/abc.json"), f("tests/a.test.ts")], "medium"],
    [[f("config/plugin.yml")], "medium"],
    [[f("manifest.json"), f("tests/a.test.ts")], "medium"],
    [[f("scripts/release.sh")], "high"],
    [[f(".eslintrc.js")], "high"],
    [[f("tests/package.json")], "high"],
    [[f("src/handlers/start.ts")], "high"],
    [[f(".github/workflows/compute.yml")], "high"],
    [[f("package.json")], "high"],
    [[f("wrangler.toml")], "high"],
  ] as const)("%o → %s", (files, tier) => {
    expect(riskTier(files).tier).toBe(tier);
  });

  it("calls a large change high risk whatever it touches", () => {
    expect(riskTier(Array.from({ length: RISK_LIMITS.maxFiles + 1 }, (_, i) => f(`tests/t${i}.test.ts`))).tier).toBe("high");
    expect(riskTier([f("tests/big.test.ts", "y".repeat(RISK_LIMITS.maxBytes + 1))]).tier).toBe("high");
  });

  it("allows auto-merge only for changes of data fixtures alone, never for executable files", () => {
    expect(autoMergeAllowed([f(".daemon-hotfix/fixtures/abc.json")])).toBe(true);
    expect(autoMergeAllowed([f(".daemon-hotfix/fixtures/abc.json"), f("test/fixtures/event.json")])).toBe(true);
    expect(autoMergeAllowed([f(".daemon-hotfix/fixtures/abc.json"), f("tests/a.test.ts")])).toBe(false);
    expect(autoMergeAllowed([f("tests/helpers/setup.ts")])).toBe(false);
    expect(autoMergeAllowed([f(".daemon-hotfix/fixtures/run.sh")])).toBe(false);
    expect(autoMergeAllowed([])).toBe(false);
  });

  it("refuses paths outside the repository", () => {
    for (const path of ["../x", "/etc/passwd", "a/../../b", ".git/config", "", "a//b", "a\\b"]) expect(isSafePath(path)).toBe(false);
    expect(isSafePath("tests/a.test.ts")).toBe(true);
  });
});

function view(): ClusterView {
  const c = toFailure("kernel.plugin_error", kernelPluginError(), { kernelStateId: "k", receivedAt: new Date().toISOString(), settings: v.parse(Settings, {}) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  const sample = { ...c.failure, eventId: "e".repeat(32) };
  return { fingerprint: "a".repeat(40), grouping: "v2", repo: sample.target.repo, sample, latest: { occurredAt: sample.occurredAt, message: sample.message, status: sample.status }, total: 1, firstSeen: sample.occurredAt, lastSeen: sample.occurredAt, sinceComment: 0, sinceCommentFrom: sample.occurredAt, recent: [], refs: [] };
}
const answering = (answer: unknown): FixProposer => ({ name: "test", propose: async () => ({ ok: true, answer }) });

describe("proposals", () => {
  it("always carry the replay fixture; the default proposer adds nothing", async () => {
    const proposal = await buildProposal(view(), new FixtureOnlyProposer());
    expect(proposal.source).toBe("fixture-only");
    expect(proposal.files.map((x) => x.path)).toEqual([".daemon-hotfix/fixtures/aaaaaaaaaaaa.json"]);
  });

  it("use a proposer's answer only when it is a valid structured patch", async () => {
    const ok = await buildProposal(view(), answering({ summary: "s", files: [f("tests/a.test.ts", "token ghp_abcdefghijklmnopqrstuvwxyz0123456789")], riskNotes: [] }));
    expect(ok.source).toBe("proposer");
    expect(ok.files[1]?.content).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    for (const bad of [null, "text", { summary: "s" }, { summary: "s", files: [f("../x")] }, { summary: "s", files: [], extra: 1 }]) {
      const fallback = await buildProposal(view(), answering(bad));
      expect(fallback.source).toBe("fixture-only");
      expect(fallback.files).toHaveLength(1);
      expect(fallback.notes.join(" ")).toMatch(/not a valid patch|replay fixture only/);
    }
  });

  it("has a JSON-schema-describable shape", () => {
    expect(v.safeParse(PatchProposal, { summary: "s", files: [], riskNotes: [] }).success).toBe(true);
  });
});
