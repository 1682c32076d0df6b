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

  it("serves a new failure's first issue before other writes (creates first)", async () => {
    const budget = env.WRITE_BUDGET.getByName(`budget-${crypto.randomUUID()}`);
    const roomy = { perMinute: 80, perHour: 500, spacingMs: 1000 };
    // Edits in line: each waits at most its allowed wait; the next one is told to come back later.
    for (const at of [0, 1000, 2000]) expect(await budget.reserve(T0, roomy, 2000)).toEqual({ granted: true, atMs: T0 + at });
    expect(await budget.reserve(T0, roomy, 2000)).toEqual({ granted: false, retryAtMs: T0 + 3000 });
    // A create arriving now takes the next slot, ahead of the edit told to come back then.
    expect(await budget.reserve(T0, roomy, 5000, { kind: "create", requester: "new-failure" })).toEqual({ granted: true, atMs: T0 + 3000 });
    expect(await budget.reserve(T0 + 3000, roomy, 2000)).toEqual({ granted: true, atMs: T0 + 4000 });
  });

  it("grants no other write while a refused create waits for its slot", async () => {
    const budget = env.WRITE_BUDGET.getByName(`budget-${crypto.randomUUID()}`);
    for (let i = 0; i < 3; i++) expect((await budget.reserve(T0 + i * 1000, limits, 5000)).granted).toBe(true);
    const refused = await budget.reserve(T0 + 3000, limits, 5000, { kind: "create", requester: "fp-1" });
    expect(refused.granted).toBe(false);
    const createAt = refused.granted ? 0 : refused.retryAtMs;
    // Its slot: the first the minute's cap allows; it is told to come back half its allowed wait before it.
    const slot = T0 + 60_000 + SLOT_LATENESS_MS + 1;
    expect(createAt).toBe(slot - 2500);
    // An edit asking meanwhile is sent behind the waiting create …
    const edit = await budget.reserve(T0 + 4000, limits, 10_000_000);
    expect(edit.granted).toBe(false);
    expect(edit.granted ? 0 : edit.retryAtMs).toBeGreaterThan(slot);
    // … which gets its slot when it comes back, after which edits are served again.
    expect(await budget.reserve(createAt, limits, 5000, { kind: "create", requester: "fp-1" })).toEqual({ granted: true, atMs: slot });
    expect((await budget.reserve(createAt + 1000, limits, 5000)).granted).toBe(true);
  });

  it("tells a refused create to come back ahead of its slot, so a slow way back does not delay it (nor the creates behind it)", async () => {
    const budget = env.WRITE_BUDGET.getByName(`budget-${crypto.randomUUID()}`);
    const roomy = { perMinute: 80, perHour: 500, spacingMs: 1000 };
    // Six creates take the slots within their 5 s wait; the seventh and eighth are refused, with slots of their own.
    for (let i = 0; i <= 5; i++) expect(await budget.reserve(T0, roomy, 5000, { kind: "create", requester: `fp-${i}` })).toEqual({ granted: true, atMs: T0 + i * 1000 });
    expect(await budget.reserve(T0, roomy, 5000, { kind: "create", requester: "fp-6" })).toEqual({ granted: false, retryAtMs: T0 + 6000 - 2500 });
    expect(await budget.reserve(T0, roomy, 5000, { kind: "create", requester: "fp-7" })).toEqual({ granted: false, retryAtMs: T0 + 7000 - 2500 });
    // Each comes back through its cluster's alarm and the writes queue, 800 ms after the time it was told: still in
    // line before its slot, so each is sent at its slot — GitHub's spacing, nothing lost on the way back.
    expect(await budget.reserve(T0 + 3500 + 800, roomy, 5000, { kind: "create", requester: "fp-6" })).toEqual({ granted: true, atMs: T0 + 6000 });
    expect(await budget.reserve(T0 + 4500 + 800, roomy, 5000, { kind: "create", requester: "fp-7" })).toEqual({ granted: true, atMs: T0 + 7000 });
  });
});
