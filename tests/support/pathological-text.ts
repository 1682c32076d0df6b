import * as v from "valibot";
import type { ClusterView } from "../../shared/cluster-view";
import { occurrenceOf } from "../../shared/cluster-view";
import { toFailure } from "../../shared/convert";
import { LIMITS } from "../../shared/convert/text";
import type { FailureEvent } from "../../shared/failure-event";
import { fingerprint } from "../../shared/fingerprint";
import { globMatch } from "../../shared/glob";
import { CURRENT_GROUPING, LATEST_GROUPING } from "../../shared/grouping/versions";
import { normalizeMessage } from "../../shared/normalize-message";
import { createRedactor } from "../../shared/redact";
import { code, fence } from "../../shared/render/inert";
import { renderBody, renderRecurrenceComment, renderTitle } from "../../shared/render/issue";
import { type FingerprintRule, Settings } from "../../shared/settings";

/**
 * Pathological event text (issue 13) and the stages it meets on its way from ingest to GitHub. Shared by the
 * corpus test (tests/text/pathological.test.ts) and `npm run bench -- --only text` (bench/text.ts), so the bench
 * measures exactly what the test bounds. Each input is something an event can carry (≤ 100,000 characters, the
 * schema's bound on a message); the backtracking code
 * before issue 13 took seconds or never finished on several of them.
 */
export const CORPUS: Readonly<Record<string, string>> = {
  "2,000 × a (nested-star globs)": "a".repeat(2000),
  "4,000 × a (the message limit)": "a".repeat(4000),
  '"a_token-" × 2,000 (16,000 characters)': "a_token-".repeat(2000),
  '"password=" × 5,000': "password=".repeat(5000),
  '"a-" × 50,000 (URL scheme runs)': "a-".repeat(50_000),
  '"eyJ-" × 25,000 (JWT starts)': "eyJ-".repeat(25_000),
  '"sk-" × 20,000 and "AIza" × 10,000': `${"sk-".repeat(20_000)}${"AIza".repeat(10_000)}`,
  '"&key" × 20,000 (query names)': "&key".repeat(20_000),
  "99,999 digits then a colon (Telegram tokens)": `${"1".repeat(99_999)}:`,
  '"-----BEGIN PRIVATE KEY-----" × 2,000': "-----BEGIN PRIVATE KEY-----".repeat(2000),
  '"Bearer " × 10,000': "Bearer ".repeat(10_000),
  "100 KB single-line log text": `${"ERROR dispatch failed url=https://x.example/p?q=1 id=0x1f ".repeat(1700)}`.slice(0, 100_000),
  "100,000 backticks": "`".repeat(100_000),
  '"`a" × 50,000': "`a".repeat(50_000),
  "100,000 control characters": "\u0000\u0007\u001b".repeat(33_333),
  '"\\u001b[" × 30,000 (unterminated ANSI escapes)': "\u001b[".repeat(30_000),
  '"\\u001b]8;;" × 20,000 (unterminated OSC links)': "\u001b]8;;".repeat(20_000),
  '"1:" × 50,000 (IPv6-like)': "1:".repeat(50_000),
  '"0a" × 50,000 (hex runs)': "0a".repeat(50_000),
  '"1." × 50,000 (numbers and versions)': "1.".repeat(50_000),
  '"a@" × 50,000 (emails and mentions)': "a@".repeat(50_000),
  '"HTTP (target: " × 7,000': "HTTP (target: ".repeat(7_000),
  "100,000 spaces": " ".repeat(100_000),
};

/** `fingerprintRules` as long and starry as the settings schema allows, built to backtrack. */
export const PATHOLOGICAL_GLOBS: readonly string[] = ["*a*a*ab", "*a*a*a*a*a*a*a*a*a*ab", `*${"a".repeat(180)}*b`, "*?*?*?*?*?*?*?*?*?*x", `${"?".repeat(150)}*a*a*a*b`];
const RULES: FingerprintRule[] = PATHOLOGICAL_GLOBS.map((message, i) => ({ match: { message }, group: `g${i}` }));

const settings = v.parse(Settings, { fingerprintRules: RULES, fallbackRepo: "hostile/plugin" });

/** The input as a kernel.plugin_error carries it: in the message, the stack, the log trail and the trigger. */
export function convertHostile(input: string): FailureEvent {
  const payload = {
    stateId: "s",
    plugin: { type: "http", id: "https://hostile.example" },
    error: { message: input, stack: input, category: "http", status: 500 },
    trigger: { githubEvent: "issue_comment.created", repo: input.slice(0, 200), actor: input.slice(0, 39), issueOrPr: 1 },
    // The reporter when the hostile trigger repo names no owner (issue 12: a failure needs a reporter to be filed).
    repository: { owner: { login: "hostile" } },
    logTrail: { lines: [input.slice(0, 10_000), input.slice(0, 500), input.slice(-10_000)] },
    timestamp: "2026-12-01T00:00:00.000Z",
  };
  const redactor = createRedactor(["literal-secret-value"]);
  const c = toFailure("kernel.plugin_error", payload, { kernelStateId: "k", receivedAt: "2026-12-01T00:00:00.000Z", settings, redactor });
  if (c.outcome !== "failure") throw new Error(`the corpus event was not converted: ${JSON.stringify(c)}`);
  return redactor.value<FailureEvent>({ ...c.failure, eventId: "c".repeat(32) });
}

function viewOf(failure: FailureEvent, latest: string): ClusterView {
  return {
    fingerprint: "e".repeat(40),
    grouping: "v2",
    repo: failure.target.repo,
    sample: failure,
    latest: { occurredAt: failure.occurredAt, message: latest, status: failure.status },
    total: 3,
    firstSeen: failure.occurredAt,
    lastSeen: failure.occurredAt,
    sinceComment: 1,
    sinceCommentFrom: failure.occurredAt,
    recent: [occurrenceOf(failure)],
    refs: [latest.slice(0, 200)],
  };
}

/** A stage: `prepare` (untimed) turns the raw input into what the stage receives in production, `run` is timed. */
export interface Stage<T = unknown> {
  prepare: (input: string) => T;
  run: (prepared: T) => unknown;
}
const stage = <T>(prepare: (input: string) => T, run: (prepared: T) => unknown): Stage => ({ prepare, run: run as (prepared: unknown) => unknown });
const raw = (input: string) => input;

/**
 * The stages, in the order an event meets them; each returns something so the work cannot be optimised away.
 * Raw inputs go to the conversion, redaction, normalisation and the markdown helpers; globs, the fingerprint and
 * the renderer get what the conversion made of them (as in production: globs see fields the conversion bounded).
 */
export const STAGES: Readonly<Record<string, Stage>> = {
  "conversion (bound, strip controls, redact, clip)": stage(raw, convertHostile),
  redaction: stage(raw, (input) => createRedactor(["literal-secret-value"]).string(input)),
  glob: stage(convertHostile, (failure) => PATHOLOGICAL_GLOBS.filter((glob) => globMatch(glob, failure.message) || globMatch(glob, failure.logTrail[0] ?? "")).length),
  [`normalisation ${LATEST_GROUPING} (latest)`]: stage(raw, (input) => normalizeMessage(input, LATEST_GROUPING)),
  [`fingerprint (${LATEST_GROUPING}, with the rules)`]: stage(convertHostile, async (failure) => [await fingerprint(failure, RULES, LATEST_GROUPING), await fingerprint(failure, [], LATEST_GROUPING)]),
  rendering: stage(
    (input) => ({ input, failure: convertHostile(input) }),
    ({ input, failure }) => {
      const view = viewOf(failure, input.slice(0, LIMITS.message));
      return renderBody(view, { windowMinutes: 60, updateIntervalSeconds: 60, isNew: true }).length + renderTitle(view).length + renderRecurrenceComment(view).length + code(input).length + fence(input).length;
    },
  ),
};

/**
 * Normalisation and the fingerprint under the grouping version new failures are grouped under now, while that is
 * not the latest (issue 18 moves it): measured and printed by the bench; the test bounds the latest version.
 */
export const CURRENT_GROUPING_STAGES: Readonly<Record<string, Stage>> =
  CURRENT_GROUPING === LATEST_GROUPING
    ? {}
    : {
        [`normalisation ${CURRENT_GROUPING} (current)`]: stage(raw, (input) => normalizeMessage(input, CURRENT_GROUPING)),
        [`fingerprint (${CURRENT_GROUPING}, with the rules)`]: stage(convertHostile, async (failure) => [await fingerprint(failure, RULES, CURRENT_GROUPING), await fingerprint(failure, [], CURRENT_GROUPING)]),
      };

/**
 * Milliseconds `stage` takes on `input` (prepared first, untimed): the fastest of `runs` runs, so that a GC pause or
 * a busy machine does not count against it — a super-linear stage is slow on every run.
 */
export async function timeStage(stage: Stage, input: string, runs = 3): Promise<number> {
  const prepared = stage.prepare(input);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await stage.run(prepared);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
