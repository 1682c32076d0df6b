/**
 * The hostile-text stage of `npm run bench` (issue 13), also on its own: `npm run bench -- --only text`.
 *   1. The worst case per stage over the pathological corpus (tests/support/pathological-text.ts — the same inputs
 *      and stages the corpus test bounds at 200 ms): conversion, redaction, globs, normalisation, fingerprint,
 *      rendering; and the current grouping version's stages while it is not the latest.
 *   2. Growth, in one run: the same input family at n and 2n characters through the code before issue 13 (its glob
 *      RegExp and its key=value redaction pattern, kept below for this comparison) and through today's. A ratio
 *      ≈ 2 is linear, ≈ 4 quadratic, ≈ 8 cubic.
 * Pure CPU work in this process; no service is started.
 */
import { registerHooks } from "node:module";

// shared/ imports its modules without extensions (the Worker bundler resolves them); Node needs `.ts`.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (!specifier.startsWith(".")) throw error;
      try {
        return next(`${specifier}.ts`, context);
      } catch {
        return next(`${specifier}/index.ts`, context);
      }
    }
  },
});

const { CORPUS, CURRENT_GROUPING_STAGES, STAGES, timeStage } = await import("../tests/support/pathological-text.ts");
const { globMatch } = await import("../shared/glob.ts");
const { createRedactor } = await import("../shared/redact.ts");

/** The glob matcher before issue 13: each `*` became `[\s\S]*` in a backtracking RegExp. */
function legacyGlob(glob: string, text: string): boolean {
  let source = "";
  for (const char of glob) source += char === "*" ? "[\\s\\S]*" : char === "?" ? "[\\s\\S]" : char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`^${source}$`, "i").test(text);
}
/** The key=value redaction pattern before issue 13 (nested unbounded runs around the secret word). */
const LEGACY_KEY_VALUE = /\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential)[A-Za-z0-9_.-]*)("?'?\s*[=:]\s*)("[^"]*"|'[^'\r\n]*'|[^\s&,;"'}\])]+)/gi;

export interface TextStageRow {
  stage: string;
  worstMs: number;
  worstInput: string;
  /** Sum over the corpus. */
  totalMs: number;
  bounded: boolean;
}

export interface GrowthRow {
  what: string;
  code: "before issue 13" | "now";
  n: number;
  msAtN: number;
  msAt2N: number;
}

export interface TextResult {
  inputs: number;
  stages: TextStageRow[];
  growth: GrowthRow[];
}

function once(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function median(fn: () => unknown, runs: number): number {
  fn();
  const times = Array.from({ length: runs }, () => once(fn)).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

export async function runText(): Promise<TextResult> {
  const stages: TextStageRow[] = [];
  const all = [...Object.entries(STAGES).map(([name, stage]) => ({ name, stage, bounded: true })), ...Object.entries(CURRENT_GROUPING_STAGES).map(([name, stage]) => ({ name, stage, bounded: false }))];
  for (const { name, stage, bounded } of all) {
    await timeStage(stage, "warm up: an ordinary message with https://x.example/?q=1 and id 42");
    const row: TextStageRow = { stage: name, worstMs: 0, worstInput: "", totalMs: 0, bounded };
    for (const [input, text] of Object.entries(CORPUS)) {
      const ms = await timeStage(stage, text);
      row.totalMs += ms;
      if (ms > row.worstMs) Object.assign(row, { worstMs: ms, worstInput: input });
    }
    stages.push(row);
  }
  const redactor = createRedactor();
  const families: Array<{ what: string; n: number; legacy: (n: number) => () => unknown; now: (n: number) => () => unknown }> = [
    { what: "glob `*a*a*ab` on n × `a`", n: 600, legacy: (n) => () => legacyGlob("*a*a*ab", "a".repeat(n)), now: (n) => () => globMatch("*a*a*ab", "a".repeat(n)) },
    { what: 'redaction of `"a_token-"` × n/8', n: 2000, legacy: (n) => () => "a_token-".repeat(n / 8).replace(LEGACY_KEY_VALUE, "x"), now: (n) => () => redactor.string("a_token-".repeat(n / 8)) },
  ];
  const growth: GrowthRow[] = [];
  for (const family of families) {
    growth.push({ what: family.what, code: "before issue 13", n: family.n, msAtN: median(family.legacy(family.n), 3), msAt2N: median(family.legacy(family.n * 2), 3) });
    growth.push({ what: family.what, code: "now", n: family.n, msAtN: median(family.now(family.n), 11), msAt2N: median(family.now(family.n * 2), 11) });
  }
  return { inputs: Object.keys(CORPUS).length, stages, growth };
}

const ms = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
const table = (head: string[], rows: string[][]) => [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export function textMarkdown(r: TextResult): string {
  return [
    `## Hostile text (issue 13)\n\n${r.inputs} pathological inputs (\`tests/support/pathological-text.ts\`: nested-star globs, \`"a_token-"\` runs, 100 KB single-line logs, backtick floods, control characters, unterminated ANSI escapes, …) through each stage, the fastest of 3 runs each after a warm-up; \`tests/node/pathological-text.test.ts\` requires every bounded stage to take at most 200 ms per input. \`npm run bench -- --only text\` prints this section alone.`,
    table(
      ["stage", "worst ms", "on", "corpus total ms", "bounded by the test"],
      r.stages.map((s) => [s.stage, ms(s.worstMs), s.worstInput, ms(s.totalMs), s.bounded ? "yes" : "no (issue 18 moves grouping to the latest version)"]),
    ),
    `Growth, measured in this run (median ms at n and 2n characters; ratio ≈ 2 is linear, ≈ 4 quadratic, ≈ 8 cubic):\n\n` +
      table(
        ["input", "code", "n", "ms at n", "ms at 2n", "ratio"],
        r.growth.map((g) => [g.what, g.code, String(g.n), ms(g.msAtN), ms(g.msAt2N), g.msAtN >= 0.02 ? (g.msAt2N / g.msAtN).toFixed(1) : "(too fast to tell)"]),
      ),
  ].join("\n\n");
}

export function textSummary(r: TextResult): Array<[string, string]> {
  return [
    ...r.stages.map((s): [string, string] => [`text: ${s.stage}`, `worst ${ms(s.worstMs)} ms (${s.worstInput})${s.bounded ? "" : "  [not bounded yet]"}`]),
    ...r.growth.map((g): [string, string] => [`text growth: ${g.what} (${g.code})`, `${ms(g.msAtN)} → ${ms(g.msAt2N)} ms (×${g.msAtN >= 0.02 ? (g.msAt2N / g.msAtN).toFixed(1) : "?"})`]),
  ];
}
