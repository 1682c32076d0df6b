/** Issue 18: grouping versions — v1 frozen and still computable, each version's fingerprints its own. */
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { toFailure } from "../../shared/convert";
import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint, fingerprintParts } from "../../shared/fingerprint";
import { normalizeV1, normalizeV1Exact } from "../../shared/grouping/normalize-v1";
import { CURRENT_GROUPING, GROUPING_VERSIONS, isGroupingVersion, LATEST_GROUPING } from "../../shared/grouping/versions";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "../helpers/events";

const ctx = { kernelStateId: "k", receivedAt: "2026-11-24T00:00:00.000Z", settings: v.parse(Settings, {}) };
function failure(message: string): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError({ error: { message } }), ctx);
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: "0".repeat(32) };
}

/** Computed with the code of main at 1686985 (before versioned grouping): stored clusters and markers carry these. */
const V1_FINGERPRINTS = [
  ["HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error", "2ce220756f3964c4fcd36e6d048265ff36542ed4"],
  ["TypeError: Cannot read properties of undefined (reading 'id') cf-ray 31fdb420ec531fd6-IAD", "87076fa6d0d410d091cb264392d51546752bed09"],
  ["Could not resolve to a node with the global id of 'I_kwDOd-nVJDDJVn-d' at 2026-11-20T10:15:30Z after 30012ms", "dbe4bd982ef45a2a25cb72f82f720988bca2aeae"],
] as const;
const V1_GROUP_FINGERPRINT = "aa03ab5149766519462cccd7361d4a450af48e74";
const everything = [{ match: { message: "*" }, group: "everything" }];

describe("grouping v1 stays what it was", () => {
  it.each(V1_FINGERPRINTS)("%s keeps its v1 fingerprint", async (message, expected) => {
    expect(await fingerprint(failure(message), [], "v1")).toBe(expected);
  });

  it("a custom group keeps its fingerprint under every version", async () => {
    for (const version of Object.keys(GROUPING_VERSIONS)) {
      if (!isGroupingVersion(version)) throw new Error(version);
      expect(await fingerprint(failure("anything at all"), everything, version)).toBe(V1_GROUP_FINGERPRINT);
    }
  });

  it("folding white space first (what bounds its time) changes none of v1's output", () => {
    const piece = fc.constantFrom(" ", "  ", "\n", "\t", " \n\t ", "HTTP", "(target: https://x.dev/a?b=1)", ":", "500", "status", "code", "error", "2026-11-20", "T", "10:15:30", "Tue, 24 Nov 2026", "a1b2c3d", "ab:cd::1", "10.0.0.1", "x@y.io", "30 ms", "1.5", "localhost", "8787", ".", "-", "a");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const text = pieces.join("");
        expect(normalizeV1(text)).toBe(normalizeV1Exact(text));
      }),
      { numRuns: 2000, seed: 18 },
    );
  });

  it("v1 on hostile text: a long run of white space after HTTP (cubic in the exact code) is folded first", () => {
    expect(normalizeV1(`HTTP${" ".repeat(3990)}x`)).toBe("HTTP x");
  });
});

describe("each grouping version has its own fingerprints", () => {
  it("new failures are grouped under the newest version, v2", () => {
    expect(CURRENT_GROUPING).toBe("v2");
    expect(LATEST_GROUPING).toBe(CURRENT_GROUPING);
  });

  it("the hashed text names the version; v2 merges what v1 split", async () => {
    const iad = failure("TypeError: Cannot read properties of undefined (reading 'id') cf-ray 31fdb420ec531fd6-IAD");
    const sin = failure("TypeError: Cannot read properties of undefined (reading 'id') cf-ray 8e2f0b1c9a7d3e45-SIN");
    expect(await fingerprint(iad, [], "v1")).not.toBe(await fingerprint(sin, [], "v1"));
    expect(await fingerprint(iad, [], "v2")).toBe(await fingerprint(sin, [], "v2"));
    expect(await fingerprint(iad, [], "v2")).not.toBe(await fingerprint(iad, [], "v1"));
  });

  it("a message both versions normalise alike still has a fingerprint per version", async () => {
    const f = failure("HTTP (target: https://command-start-stop-main.deno.dev) 500: Unexpected error");
    expect(fingerprintParts(f, [], "v1")).toEqual(fingerprintParts(f, [], "v2"));
    expect(await fingerprint(f, [], "v2")).not.toBe(await fingerprint(f, [], "v1"));
  });
});
