import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { proposalOf } from "../../shared/autofix/proposal";
import { renderRootCauseNote } from "../../shared/render/note";
import { autoMergeAllowed, isSafePath, RISK_LIMITS, riskTier } from "../../shared/autofix/risk";
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
    [[f(".github/dependabot.yml")], "high"],
    [[f("tests/yarn.lock")], "high"],
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

/** A cluster's analysis as the proposer leaves it: one file read, no edit, the note not yet posted. */
const analysis = {
  proposer: { name: "fake", model: "m" },
  commit: "c".repeat(40),
  commitFrom: "the plugin's ref main",
  named: [],
  chosen: [],
  files: [{ path: "src/a.ts", why: "named" as const, line: 3, content: "x", size: 30_000, truncated: true, fromLine: 2 }],
  proposal: { rootCause: { hypothesis: "h", files: ["src/a.ts"], confidence: 0.9 }, summary: "s", edits: [], newFiles: [], riskNotes: [] },
  applied: { ok: true as const, files: [], hunks: 0, newFiles: 0 },
  createdMs: 0,
  notePosted: false,
};

describe("the root-cause note", () => {
  it("says which proposer and model, the confidence, what was read, and what follows", () => {
    const note = renderRootCauseNote("a".repeat(40), analysis, { minConfidence: 0.7, prMode: true });
    expect(note.startsWith(`<!-- daemon-hotfix:note=${"a".repeat(40)} -->`)).toBe(true);
    expect(note).toContain("**Proposer:** `fake`, model `m`");
    expect(note).toContain("**Confidence:** 0.90");
    expect(note).toContain("- `src/a.ts` — named, lines from 2 (part of 30000 bytes)");
    expect(note).toContain("**Edits:** none proposed.");
    expect(note).toContain("a draft PR follows");
    expect(note).not.toContain("tree listing");
    const cut = renderRootCauseNote("a".repeat(40), { ...analysis, treeTruncated: true, proposal: { ...analysis.proposal, rootCause: { ...analysis.proposal.rootCause, confidence: 0.5 } } }, { minConfidence: 0.7, prMode: true });
    expect(cut).toContain("cut the repository's tree listing short");
    expect(cut).toContain("below `riskPolicy.minConfidence` (0.7): no PR is opened");
  });
});

describe("proposals (the PR's change from the cluster's analysis)", () => {
  it("without a proposer: the replay fixture alone", () => {
    const proposal = proposalOf(view(), null);
    expect(proposal.source).toBe("fixture-only");
    expect(proposal.files.map((x) => x.path)).toEqual([".daemon-hotfix/fixtures/aaaaaaaaaaaa.json"]);
  });

  it("with edits that all apply: the fixture plus the edited files; with any refused: the fixture alone and why", () => {
    const base = { ...analysis, commitFrom: "test", files: [], proposal: { ...analysis.proposal, riskNotes: ["r"] }, notePosted: true };
    const ok = proposalOf(view(), { ...base, applied: { ok: true, files: [f("src/a.ts", "fixed")], hunks: 1, newFiles: 0 } });
    expect(ok.source).toBe("proposer");
    expect(ok.files.map((x) => x.path)).toEqual([".daemon-hotfix/fixtures/aaaaaaaaaaaa.json", "src/a.ts"]);
    expect(ok.by).toEqual({ name: "fake", model: "m" });
    const refused = proposalOf(view(), { ...base, applied: { ok: false, reasons: ["edit 1 of src/a.ts: its search text occurs nowhere in the file at the commit"] } });
    expect(refused.source).toBe("fixture-only");
    expect(refused.files).toHaveLength(1);
    expect(refused.notes[0]).toContain("occurs nowhere");
  });
});
