/** Issue 18: the grouping corpus, scored by pairwise precision and recall. */
import { describe, expect, it } from "vitest";
import { GROUPING_VERSIONS, LATEST_GROUPING } from "../../shared/grouping/versions";
import { normalizeMessage } from "../../shared/normalize-message";
import { groupingCorpus, MUST_STAY_APART } from "../grouping/corpus";
import { scoreGrouping } from "../grouping/score";

const corpus = groupingCorpus();
const latest = (message: string) => normalizeMessage(message, LATEST_GROUPING);

describe("the grouping corpus", () => {
  it("is realistic and varied: many sources, several occurrences per failure, ids that differ between occurrences", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((f) => f.source))).toEqual(new Set(["ubiquityos", "kernel", "cloudflare", "deno", "supabase", "openai", "github", "aws"]));
    for (const failure of corpus) expect(failure.occurrences.length).toBeGreaterThanOrEqual(5);
    expect(corpus.filter((f) => new Set(f.occurrences).size > 1).length).toBeGreaterThanOrEqual(35);
  });

  it("the newest grouping never merges two failures (precision 100 %) and keeps one failure one group (recall ≥ 99 %)", async () => {
    const score = await scoreGrouping(corpus, latest);
    expect(score.merged).toEqual([]);
    expect(score.precision).toBe(1);
    expect(score.recall).toBeGreaterThanOrEqual(0.99);
  });

  it.each(MUST_STAY_APART)("keeps %s and %s apart", (a, b) => {
    const groups = (id: string) => new Set(corpus.find((f) => f.id === id)?.occurrences.map(latest));
    const [ga, gb] = [groups(a), groups(b)];
    expect(ga.size).toBeGreaterThan(0);
    expect([...ga].filter((g) => gb.has(g))).toEqual([]);
  });

  it("tells the versions apart: v1 splits the new identifier shapes and merges exit codes 1 and 137", async () => {
    const v1 = await scoreGrouping(corpus, GROUPING_VERSIONS.v1.normalize);
    expect(v1.split.map((s) => s.id)).toEqual(expect.arrayContaining(["cf-crash-two-colos", "github-node-id", "github-installation-rate-limit", "plugin-reading-id", "plugin-session-expired"]));
    expect(v1.merged).toContainEqual(["actions-exit-1", "actions-exit-137"]);
  });
});
