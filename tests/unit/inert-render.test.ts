import type { AutofixAnalysis } from "../../shared/autofix/analysis";
import { renderRootCauseNote } from "../../shared/render/note";
import fc from "fast-check";
import type { Token } from "marked";
import { describe, expect, it } from "vitest";
import type { ClusterView } from "../../shared/cluster-view";
import type { FailureEvent } from "../../shared/failure-event";
import { code, fence, githubLink, plain, title } from "../../shared/render/inert";
import { renderBody, renderRecurrenceComment, renderReopenComment, renderTitle } from "../../shared/render/issue";
import { renderPullBody, renderPullTitle, renderRiskTooHighComment } from "../../shared/render/pull";
import { lex, liveElements } from "../helpers/markdown";

// Issue 13: text from events can never produce a live mention, link, image, heading or HTML in GitHub.

/** Strings built from what makes markdown live, plus arbitrary Unicode. */
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom("`", "@", "[", "]", "(", ")", "!", "<", ">", "#", "\n", "\r", "\u2028", "|", "*", "_", "~", "\\", " ", "-", "=", ":", "/", ".", "h", "t", "p", "s", "w", "a", "x", "1", "\u0000", "\u001b", "&", ";", "\t"), maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "x/y)\n\n@someone [click](https://evil.example) ![](https://evil.example/pixel.png)",
    "@everyone <img src=x onerror=alert(1)> <!-- daemon-hotfix:fingerprint=0 -->",
    "# Heading\n\n## Another\nSetext\n===",
    "````\n@inside-a-fence\n````\n@outside https://evil.example www.evil.example a@b.example",
    "<details><summary>x</summary>@x</details>",
    "[x]: https://evil.example\n\n[x]",
    "https://github.com/o/r/issues/1#@x",
    "https://github.com/o/r/issues/1?x=@y",
    "javascript:alert(1)",
  ),
);

const failureArb = fc.record({
  message: hostile,
  detail: hostile,
  line: hostile,
  pluginId: hostile,
  name: hostile,
  ref: hostile,
  category: hostile,
  githubEvent: hostile,
  repo: hostile,
  actor: hostile,
  url: hostile,
  id: hostile,
  at: hostile,
  env: hostile,
});

type HostileStrings = typeof failureArb extends fc.Arbitrary<infer T> ? T : never;

function hostileView(s: HostileStrings): ClusterView {
  const sample: FailureEvent = {
    eventId: "a".repeat(32),
    kind: "plugin_error",
    sourceEvent: "kernel.plugin_error",
    occurredAt: s.at,
    receivedAt: s.at,
    target: { repo: s.repo, resolvedBy: "plugin_repo" },
    plugin: { type: "http", id: s.pluginId, name: s.name, url: s.url, ref: s.ref, repo: s.repo },
    category: s.category,
    status: 500,
    message: s.message,
    detail: s.detail,
    conclusion: s.category,
    trigger: { githubEvent: s.githubEvent, repo: s.repo, actor: s.actor, url: s.url, issueOrPr: 1 },
    correlation: { stateId: s.id, requestId: s.id, deliveryId: s.id, headSha: s.id },
    logTrail: [s.line, s.message],
    environment: s.env,
    kernelCommit: s.id,
    trimmed: [s.line],
  };
  return {
    fingerprint: "f".repeat(40),
    grouping: "v2",
    repo: s.repo,
    sample,
    latest: { occurredAt: s.at, message: s.detail, status: 500 },
    total: 2,
    firstSeen: s.at,
    lastSeen: s.at,
    sinceComment: 1,
    sinceCommentFrom: s.at,
    recent: [{ at: s.at, eventId: s.id, stateId: s.id, deliveryId: s.id, requestId: s.id, url: s.url }],
    refs: [s.ref],
  };
}

const options = { windowMinutes: 60, updateIntervalSeconds: 60 };

describe("rendered issues, comments and PRs are inert (issue 13)", () => {
  it("the issue's example renders no mention, link or image", () => {
    const s = {
      message: "boom",
      detail: "",
      line: "",
      pluginId: "https://p.example",
      name: "p",
      ref: "main",
      category: "http",
      githubEvent: "issue_comment.created",
      repo: "x/y)\n\n@someone [click](https://evil.example) ![](https://evil.example/pixel)",
      actor: "@someone",
      url: "https://github.com/x/y)\n\n@someone [click](https://evil.example) ![](pixel)/issues/1",
      id: "id",
      at: "2026-11-20T10:15:30.123Z",
      env: "prod",
    };
    const body = renderBody(hostileView(s), { ...options, isNew: true });
    expect(liveElements(lex(body))).toEqual([]);
    expect(body).not.toContain("\n\n@someone");
  });

  it("property: no live element from event text in any body, comment or PR body", () => {
    fc.assert(
      fc.property(failureArb, fc.constantFrom<"low" | "medium" | "high">("low", "medium", "high"), (s, tier) => {
        const view = hostileView(s);
        const proposal = { source: "proposer" as const, summary: s.message, files: [{ path: s.line, content: "" }], notes: [s.detail, s.actor], by: { name: s.actor, model: s.pluginId }, rootCause: { hypothesis: s.detail, confidence: 0.9, files: [s.line] } };
        const analysis: AutofixAnalysis = {
          proposer: { name: s.actor, model: s.pluginId },
          commit: s.repo,
          commitFrom: s.line,
          named: [{ path: s.line, from: "message" }],
          chosen: [s.line],
          choiceProblem: s.message,
          files: [{ path: s.line, why: "named", content: s.detail, size: 1, truncated: true, fromLine: 2 }],
          proposal: { rootCause: { hypothesis: s.message, files: [s.line, s.repo], confidence: 0.8 }, summary: s.detail, edits: [], newFiles: [], riskNotes: [s.actor] },
          applied: { ok: false, reasons: [s.message, s.line] },
          createdMs: 0,
          notePosted: false,
        };
        const documents = [
          renderBody(view, { ...options, isNew: true }),
          renderBody(view, { ...options, isNew: false }),
          renderRecurrenceComment(view),
          renderReopenComment(view),
          renderPullBody(view, 3, proposal, tier, [s.pluginId, s.message]),
          renderRiskTooHighComment(tier, "low", [s.line, s.repo], proposal),
          renderRootCauseNote(view.fingerprint, analysis, { minConfidence: 0.7, prMode: true }),
          renderRootCauseNote(view.fingerprint, { ...analysis, proposal: null, problem: s.message }, { minConfidence: 0.7, prMode: false }),
        ];
        for (const document of documents) expect(liveElements(lex(document)), document).toEqual([]);
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it("property: titles are one line with no mention or reference", () => {
    fc.assert(
      fc.property(failureArb, (s) => {
        for (const t of [renderTitle(hostileView(s)), renderPullTitle(hostileView(s))]) {
          expect(t).not.toMatch(/[\r\n\u2028\u2029]/);
          expect(t).not.toMatch(/@[A-Za-z0-9]|#\d/);
          expect(t.length).toBeLessThanOrEqual(256);
        }
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it("sizes code spans and fences to the text's longest backtick run", () => {
    const flood = "`".repeat(5000);
    expect(lex(code(`a${flood}b`))[0]).toMatchObject({ type: "paragraph", tokens: [{ type: "codespan" }] });
    const block = lex(fence(`${flood}\n@x\n${flood}`));
    expect(block).toHaveLength(1);
    expect(block[0]).toMatchObject({ type: "code" });
    expect(code("a\nb\r\nc\u2028d")).toBe("`a b c d`");
  });

  it("builds links only to github.com pages from validated parts; everything else is code", () => {
    expect(githubLink("https://github.com/o/r/issues/12")).toBe("<https://github.com/o/r/issues/12>");
    expect(githubLink("https://github.com/o/r/actions/runs/9/job/4?check_suite_focus=true#step")).toBe("<https://github.com/o/r/actions/runs/9/job/4>");
    for (const url of ["https://evil.example/o/r/issues/1", "https://github.com.evil.example/o/r/issues/1", "http://github.com/o/r/issues/1", "https://user@github.com/o/r/issues/1", "https://github.com/o/r/issues/1)%20[x](y)", "https://github.com/-o/r/issues/1", "javascript:alert(1)"]) {
      expect(githubLink(url)).toMatch(/^`.*`$/s);
    }
  });

  it("escapes prose and titles without losing what they say", () => {
    expect(lex(plain("see [x](https://evil.example) @bob www.evil.example #12 <b>"))).toSatisfy((tokens: Token[]) => liveElements(tokens).length === 0);
    expect(title("a\n@bob  fixes #12", 256)).toBe("a @\u200bbob fixes #\u200b12");
  });

  it("the property's checker does find live elements (it is not vacuous)", () => {
    const kinds = liveElements(lex("@bob [x](https://evil.example) ![](p) <b>x</b>\n\n# H\n\nwww.evil.example")).map((f) => f.type);
    expect(new Set(kinds)).toEqual(new Set(["mention", "link", "image", "html", "heading"]));
  });
});
