import fc from "fast-check";
import { Lexer, type Token, type Tokens } from "marked";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { addOccurrence, applyStep, type ClusterState, decide, digestBaseOf } from "../../shared/cluster-state";
import { toFailure } from "../../shared/convert";
import { type DigestEntry, decideDigest, newDigest, utcDay } from "../../shared/digest/digest-state";
import { digestMarker, renderDigestBody } from "../../shared/digest/render-digest";
import type { FailureEvent } from "../../shared/failure-event";
import { MAX_BODY } from "../../shared/render/issue";
import { Settings } from "../../shared/settings";
import { kernelPluginError } from "../helpers/events";

const settings = { windowMinutes: 60, updateIntervalSeconds: 60, issueLabels: [], notify: [], modes: ["issue" as const], riskPolicy: { autoMerge: false, maxAutofixPerDay: 3, maxRiskTier: "low" as const } };
const T0 = Date.parse("2026-11-24T10:00:00Z");
const DAY_MS = 86_400_000;
let n = 0;
function failure(at: number): FailureEvent {
  const c = toFailure("kernel.plugin_error", kernelPluginError({ requestId: `r${n++}`, timestamp: new Date(at).toISOString() }), { kernelStateId: "k", receivedAt: new Date(at).toISOString(), settings: v.parse(Settings, {}) });
  if (c.outcome !== "failure") throw new Error(c.outcome);
  return { ...c.failure, eventId: String(n).padStart(32, "0") };
}
const add = (state: ClusterState | null, at: number) => addOccurrence(state, { fingerprint: "f".repeat(40), failure: failure(at), settings, nowMs: at });

describe("a cluster over the day's new-issue limit (issue 12)", () => {
  it("counts into the day's digest instead of creating, and reports each recurrence that day", () => {
    let state = add(null, T0);
    expect(decide(state, T0)).toEqual({ kind: "create" });
    expect(digestBaseOf(state, "create", T0)).toEqual({ day: "2026-11-24", base: 0 });
    state = applyStep(state, { wrote: "digested", day: "2026-11-24", base: 0 }, 1, T0);
    expect(state.digest).toEqual({ day: "2026-11-24", base: 0, reported: 1 });
    expect(decide(state, T0 + 1_000)).toBeNull();
    state = add(state, T0 + 3_600_000);
    expect(decide(state, T0 + 3_600_000)).toEqual({ kind: "digest" });
    expect(digestBaseOf(state, "digest", T0 + 3_600_000)).toEqual({ day: "2026-11-24", base: 0 });
  });

  it("asks for an issue again when it recurs on a later UTC day, its digest count starting after what the earlier digest was told", () => {
    let state = applyStep(add(null, T0), { wrote: "digested", day: "2026-11-24", base: 0 }, 1, T0);
    state = add(state, T0 + 600_000);
    state = applyStep(state, { wrote: "digested", day: "2026-11-24", base: 0 }, 2, T0 + 600_000);
    // Nothing new: a later day alone does not make an issue (only a recurrence does).
    expect(decide(state, T0 + DAY_MS)).toBeNull();
    state = add(state, T0 + DAY_MS);
    expect(decide(state, T0 + DAY_MS)).toEqual({ kind: "create" });
    expect(digestBaseOf(state, "create", T0 + DAY_MS)).toEqual({ day: "2026-11-25", base: 2 });
    // That day's limit reached too: the next day's digest counts 1 (the recurrence), not 3.
    const again = applyStep(state, { wrote: "digested", day: "2026-11-25", base: 2 }, 3, T0 + DAY_MS);
    expect(again.digest).toEqual({ day: "2026-11-25", base: 2, reported: 3 });
    // Or it gets its issue.
    const filed = applyStep(state, { wrote: "created", issue: { number: 12, state: "open", stateReason: null, closedAt: null } }, 3, T0 + DAY_MS);
    expect(decide(filed, T0 + DAY_MS)).toBeNull();
  });
});

describe("the digest's cadence (issue 12)", () => {
  it("is created once it has an entry, then edited at most once per interval and only when an entry changed", () => {
    let state = newDigest("2026-11-24", 60_000);
    expect(decideDigest(state, T0)).toBeNull();
    state = { ...state, version: 1 };
    expect(decideDigest(state, T0)).toEqual({ kind: "create" });
    state = { ...state, issue: { number: 3, state: "open", stateReason: null, closedAt: null }, reflected: 1, lastWriteMs: T0 };
    expect(decideDigest(state, T0 + 1)).toBeNull();
    state = { ...state, version: 40 };
    expect(decideDigest(state, T0 + 1)).toEqual({ wakeAtMs: T0 + 60_000 });
    expect(decideDigest(state, T0 + 60_000)).toEqual({ kind: "update" });
    expect(decideDigest({ ...state, notBeforeMs: T0 + 90_000 }, T0 + 60_000)).toEqual({ wakeAtMs: T0 + 90_000 });
  });

  it("counts UTC days", () => {
    expect(utcDay(Date.parse("2026-11-24T23:59:59.999Z"))).toBe("2026-11-24");
    expect(utcDay(Date.parse("2026-11-25T00:00:00Z"))).toBe("2026-11-25");
  });
});

const entry = (i: number, over: Partial<DigestEntry> = {}): DigestEntry => ({ fingerprint: i.toString(16).padStart(40, "0"), plugin: "acme/p:compute.yml", message: `HTTP 500: answer ${i}`, count: i + 1, firstSeen: new Date(T0 + i * 1000).toISOString(), ...over });
const view = (entries: DigestEntry[]) => ({ repo: "acme/plugin", day: "2026-11-24", limit: 10, intervalSeconds: 60, entries });

/** Live markdown in a lexed body that is not daemon-hotfix's own: links, images, HTML, headings, mentions outside code. */
function live(tokens: readonly Token[], found: string[] = []): string[] {
  for (const token of tokens) {
    if (token.type === "code" || token.type === "codespan") continue;
    if (token.type === "link" || token.type === "image") found.push(token.raw);
    if (token.type === "html" && !/^<!-- daemon-hotfix:digest=2026-11-24 -->\s*$|^<\/?sub>$/.test(token.raw)) found.push(token.raw);
    if (token.type === "heading" && !(token as Tokens.Heading).text.startsWith("New failures over the daily limit")) found.push(token.raw);
    if ((token.type === "text" || token.type === "escape") && !("tokens" in token && token.tokens) && /(?:^|[^A-Za-z0-9_`])@[A-Za-z0-9]/.test(token.raw)) found.push(token.raw);
    if ("tokens" in token && Array.isArray(token.tokens)) live(token.tokens, found);
    if (token.type === "table") for (const cell of [...(token as Tokens.Table).header, ...(token as Tokens.Table).rows.flat()]) live(cell.tokens, found);
  }
  return found;
}

describe("the digest body (issue 12)", () => {
  it("starts with its day's marker and lists each failure: plugin, message, count, first seen", () => {
    const body = renderDigestBody(view([entry(1), entry(0)]));
    expect(body.startsWith(`${digestMarker("2026-11-24")}\n`)).toBe(true);
    const rows = body.split("\n").filter((line) => line.startsWith("| `"));
    expect(rows).toEqual([
      `| \`acme/p:compute.yml\` | \`HTTP 500: answer 0\` | 1 | ${new Date(T0).toISOString()} | \`000000000000\` |`,
      `| \`acme/p:compute.yml\` | \`HTTP 500: answer 1\` | 2 | ${new Date(T0 + 1000).toISOString()} | \`000000000000\` |`,
    ]);
    expect(body).toContain("**2** failures, **3** occurrences");
  });

  it("renders every event string inert, whatever it holds", () => {
    const hostile = fc.oneof(
      fc.string({ unit: fc.constantFrom("`", "@", "[", "]", "(", ")", "!", "<", ">", "#", "\n", "|", "*", "_", "\\", " ", "-", ":", "/", ".", "h", "t", "p", "a", "1"), maxLength: 80 }),
      fc.constantFrom("@everyone [x](https://evil.example) ![](https://evil.example/p.png)", "<img src=x> <!-- daemon-hotfix:digest=2026-11-24 -->", "# Heading\n\n@someone", "a|b`|`c\n\n| x | y |"),
    );
    fc.assert(
      fc.property(hostile, hostile, (plugin, message) => {
        const body = renderDigestBody(view([entry(0, { plugin, message }), entry(1, { firstSeen: message })]));
        expect(live(new Lexer({ gfm: true }).lex(body))).toEqual([]);
        expect(body.split("daemon-hotfix:digest=").length).toBe(2);
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it("stays under GitHub's body limit however many failures overflow, and says how many are not listed", () => {
    const many = Array.from({ length: 2_000 }, (_, i) => entry(i, { plugin: `https://plugin-${"x".repeat(200)}.example`, message: "m".repeat(1_000) }));
    const body = renderDigestBody(view(many));
    expect(body.length).toBeLessThanOrEqual(MAX_BODY);
    const listed = body.split("\n").filter((line) => line.startsWith("| `")).length;
    expect(listed).toBeGreaterThan(50);
    expect(body).toContain(`… and **${2_000 - listed}** more failures`);
    expect(body).toContain("**2000** failures");
  });
});
