/** Issue 18: which cluster an event goes to during and after a grouping transition (pure). */
import { describe, expect, it } from "vitest";
import { type Candidates, needsPrevious, routeEvent } from "../../shared/grouping/route";
import { activeGrouping } from "../../shared/grouping/transition";

const v2 = { version: "v2", fingerprint: "2".repeat(40) } as const;
const v1 = { version: "v1", fingerprint: "1".repeat(40) } as const;
const other = { version: "v1", fingerprint: "0".repeat(40) } as const;
const transition: Candidates = { current: v2, previous: v1 };

describe("routeEvent", () => {
  it("the current version's cluster wins when it exists", () => {
    expect(routeEvent(transition, { kind: "cluster" })).toEqual({ target: v2 });
    expect(needsPrevious(transition, { kind: "cluster" })).toBe(false);
  });
  it("a linked current key goes where it is linked", () => {
    expect(routeEvent(transition, { kind: "link", to: other })).toEqual({ target: other });
  });
  it("nothing under the current key, a cluster under the previous: join it and link the current key to it", () => {
    expect(needsPrevious(transition, { kind: "none" })).toBe(true);
    expect(routeEvent(transition, { kind: "none" }, { kind: "cluster" })).toEqual({ target: v1, link: v1 });
  });
  it("the previous key itself linked (two upgrades): straight to the cluster, linked there too", () => {
    expect(routeEvent(transition, { kind: "none" }, { kind: "link", to: other })).toEqual({ target: other, link: other });
  });
  it("nothing anywhere: a new cluster under the current version", () => {
    expect(routeEvent(transition, { kind: "none" }, { kind: "none" })).toEqual({ target: v2 });
  });
  it("no transition (or one key for both versions, a custom group): the current key, nothing asked", () => {
    expect(needsPrevious({ current: v2, previous: null }, { kind: "none" })).toBe(false);
    expect(routeEvent({ current: v2, previous: null }, { kind: "none" })).toEqual({ target: v2 });
    expect(needsPrevious({ current: v2, previous: { ...v1, fingerprint: v2.fingerprint } }, { kind: "none" })).toBe(false);
  });
});

describe("activeGrouping (clock injected)", () => {
  const start = Date.parse("2026-12-01T00:00:00Z");
  const upgrade = { version: "v2", previous: "v1", startedAtMs: start } as const;
  it("hashes under both versions for the transition period, then under the current one only", () => {
    expect(activeGrouping(upgrade, 30, start)).toEqual({ current: "v2", previous: "v1", transitionEndsMs: start + 30 * 86_400_000 });
    expect(activeGrouping(upgrade, 30, start + 30 * 86_400_000 - 1).previous).toBe("v1");
    expect(activeGrouping(upgrade, 30, start + 30 * 86_400_000)).toEqual({ current: "v2", previous: null, transitionEndsMs: null });
  });
  it("the period is configurable, 0 meaning none", () => {
    expect(activeGrouping(upgrade, 7, start + 8 * 86_400_000).previous).toBeNull();
    expect(activeGrouping(upgrade, 0, start).previous).toBeNull();
  });
  it("nothing to carry over (a new deployment): no transition", () => {
    expect(activeGrouping({ version: "v2", previous: null, startedAtMs: start }, 30, start).previous).toBeNull();
  });
});
