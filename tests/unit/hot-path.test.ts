import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { budgetRowDue, budgetRowFailed, BUDGET_ROW_REFRESH_MS } from "../../workers/github/budget-registry";
import { newPluginVersions, recordPluginVersions } from "../../workers/lifecycle/plugin-versions";
import { canonicalLabels, type Labels } from "../../workers/metrics/counters";
import { workflowFailureIn } from "../helpers/failures";

/** What canonicalLabels wrote before it was written by hand: the reference it must still equal. */
function reference(labels: Labels): string {
  const entries = Object.entries(labels)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => [key, String(value)]);
  return JSON.stringify(Object.fromEntries(entries));
}

describe("issue 14: the hot path's bookkeeping", () => {
  it("canonicalLabels writes the same text as before, for every kind of label set", () => {
    const sets: Labels[] = [
      {},
      { outcome: "queued" },
      { repo: "acme/plugin", plugin: "acme/plugin:compute.yml@main", outcome: "queued" },
      { b: 2, a: 1, c: undefined },
      { le: "+Inf", component: "consumer" },
      { "wëird \"key\"": 'va"lue\n', z: "\u2028", Z: "upper sorts first" },
      { only: undefined },
      { n: 0, m: -1.5 },
    ];
    for (const labels of sets) expect(canonicalLabels(labels)).toBe(reference(labels));
  });

  it("a plugin's ref is written once per isolate, again only when seen earlier than written", async () => {
    const failure = workflowFailureIn(`versions-${crypto.randomUUID().slice(0, 8)}`);
    const later = { ...failure, occurredAt: new Date(Date.parse(failure.occurredAt) + 60_000).toISOString() };
    const earlier = { ...failure, occurredAt: new Date(Date.parse(failure.occurredAt) - 60_000).toISOString() };

    const first = newPluginVersions([failure, later]);
    expect(first).toHaveLength(1);
    expect(first[0]?.at).toBe(failure.occurredAt);
    await recordPluginVersions(env.DB, first);
    // Already in D1 with this first sighting: a storm of the same plugin at the same ref costs no statement.
    expect(newPluginVersions([failure])).toEqual([]);
    expect(newPluginVersions([later, later])).toEqual([]);
    // An earlier sighting changes first_seen: written.
    const again = newPluginVersions([earlier]);
    expect(again).toHaveLength(1);
    await recordPluginVersions(env.DB, again);
    const row = await env.DB.prepare(`SELECT first_seen FROM plugin_versions WHERE repo = ?1`).bind(failure.target.repo.toLowerCase()).first<{ first_seen: string }>();
    expect(row?.first_seen).toBe(earlier.occurredAt);
  });

  it("a sighting whose write failed is written by the next batch", async () => {
    const failure = workflowFailureIn(`versions-${crypto.randomUUID().slice(0, 8)}`);
    const rows = newPluginVersions([failure]);
    expect(rows).toHaveLength(1);
    const broken = { batch: () => Promise.reject(new Error("D1 unavailable")), prepare: env.DB.prepare.bind(env.DB) } as unknown as D1Database;
    await expect(recordPluginVersions(broken, rows)).rejects.toThrow("D1 unavailable");
    expect(newPluginVersions([failure])).toHaveLength(1);
  });

  it("a write budget's row is refreshed at most every few minutes per isolate, and again after a failed write", () => {
    const key = `token:${crypto.randomUUID()}`;
    const t0 = 1_800_000_000_000;
    expect(budgetRowDue(env.DB, key, t0)).not.toBeNull();
    expect(budgetRowDue(env.DB, key, t0 + 1_000)).toBeNull();
    expect(budgetRowDue(env.DB, key, t0 + BUDGET_ROW_REFRESH_MS - 1)).toBeNull();
    expect(budgetRowDue(env.DB, key, t0 + BUDGET_ROW_REFRESH_MS)).not.toBeNull();
    budgetRowFailed(key);
    expect(budgetRowDue(env.DB, key, t0 + BUDGET_ROW_REFRESH_MS + 1)).not.toBeNull();
    // /metrics lists budgets used within the last hour: a refresh every few minutes keeps that true.
    expect(BUDGET_ROW_REFRESH_MS).toBeLessThan(3_600_000 / 4);
  });
});
