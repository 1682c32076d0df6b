/** Issue 18: when a deployment took a grouping version into use (D1 grouping_versions), written once. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { readGroupingUpgrade } from "../../workers/grouping/upgrade";

const T = Date.parse("2026-12-01T00:00:00.000Z");

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare(`DELETE FROM grouping_versions`), env.DB.prepare(`DELETE FROM clusters`)]);
});

async function seedCluster(): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO clusters (fingerprint, repo, plugin, category, state, total, reflected, first_seen, last_seen, updated_at) VALUES (?1, 'o/r', 'p', 'http', 'open', 1, 1, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z')`,
  )
    .bind("f".repeat(40))
    .run();
}

describe("grouping_versions", () => {
  it("a deployment with clusters from before versioned grouping carries v1 over, from the first use on", async () => {
    await seedCluster();
    expect(await readGroupingUpgrade(env.DB, "v2", T)).toEqual({ version: "v2", previous: "v1", startedAtMs: T });
    // Later reads (another isolate, a day later) see the same start.
    expect(await readGroupingUpgrade(env.DB, "v2", T + 86_400_000)).toEqual({ version: "v2", previous: "v1", startedAtMs: T });
    expect((await env.DB.prepare(`SELECT grouping FROM clusters`).first<{ grouping: string }>())?.grouping).toBe("v1");
  });

  it("a new deployment (no clusters yet) has nothing to carry over", async () => {
    expect(await readGroupingUpgrade(env.DB, "v2", T)).toEqual({ version: "v2", previous: null, startedAtMs: T });
  });

  it("the next upgrade carries over the version in use before it", async () => {
    await readGroupingUpgrade(env.DB, "v1", T - 86_400_000);
    expect(await readGroupingUpgrade(env.DB, "v2", T)).toEqual({ version: "v2", previous: "v1", startedAtMs: T });
  });

  it("two consumers starting at once agree on one start", async () => {
    await seedCluster();
    const [a, b] = await Promise.all([readGroupingUpgrade(env.DB, "v2", T), readGroupingUpgrade(env.DB, "v2", T + 5_000)]);
    expect(a).toEqual(b);
  });
});
