import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SLOT_LATENESS_MS } from "../../workers/config";

const limits = { perMinute: 3, perHour: 5, spacingMs: 1000 };
const T0 = 1_800_000_000_000;

describe("write budget (one per token)", () => {
  it("spaces writes, caps them per minute and per hour, and tells the caller when to come back", async () => {
    const budget = env.WRITE_BUDGET.getByName(`budget-${crypto.randomUUID()}`);
    const granted: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await budget.reserve(T0, limits, 10_000);
      if (!r.granted) throw new Error("expected a slot");
      granted.push(r.atMs - T0);
    }
    expect(granted).toEqual([0, 1000, 2000]);
    // The window is widened by the lateness a write may have on its way (SLOT_LATENESS_MS).
    const fourth = await budget.reserve(T0, limits, 10_000);
    expect(fourth).toEqual({ granted: false, retryAtMs: T0 + 60_000 + SLOT_LATENESS_MS + 1 });
    const later = await budget.reserve(T0 + 62_001, limits, 10_000);
    expect(later).toEqual({ granted: true, atMs: T0 + 62_001 });
    await budget.reserve(T0 + 63_001, limits, 10_000);
    const sixth = await budget.reserve(T0 + 70_000, limits, 10_000_000);
    expect(sixth).toEqual({ granted: true, atMs: T0 + 3_600_000 + SLOT_LATENESS_MS + 1 });
    expect(await budget.stats(T0 + 64_000, limits)).toMatchObject({ usedLastHour: 5, remainingHour: 0 });
  });

  it("closes until GitHub's retry-after has passed", async () => {
    const budget = env.WRITE_BUDGET.getByName(`budget-${crypto.randomUUID()}`);
    await budget.penalize(T0 + 30_000);
    expect(await budget.reserve(T0, limits, 5_000)).toEqual({ granted: false, retryAtMs: T0 + 30_000 });
    expect(await budget.reserve(T0 + 29_000, limits, 5_000)).toEqual({ granted: true, atMs: T0 + 30_000 });
  });
});
