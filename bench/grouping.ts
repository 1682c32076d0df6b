/**
 * The grouping stage of `npm run bench` (issue 18), also on its own: `npm run bench -- --only grouping`.
 *   1. Every grouping version scored on the corpus (tests/grouping/corpus.ts, 5 occurrences per failure) by pairwise
 *      precision and recall, and on a stress variant of it (100 occurrences per failure: rarer id shapes show up).
 *   2. Time per message on the corpus, and on hostile text of n and 2n characters (both under the 4,000-character
 *      bound): the ratio of the two is ≈ 2 for linear-time normalisation, ≈ 4 for quadratic, ≈ 8 for cubic.
 * Pure CPU work in this process; no service is started.
 */
import { normalizeV1Exact } from "../shared/grouping/normalize-v1.ts";
import { GROUPING_VERSIONS, type GroupingVersion, CURRENT_GROUPING } from "../shared/grouping/versions.ts";
import { groupingCorpus } from "../tests/grouping/corpus.ts";
import { type GroupingScore, scoreGrouping } from "../tests/grouping/score.ts";

const STRESS_OCCURRENCES = 100;
const HOSTILE_CHARS = 1_000;

/** Text that makes backtracking patterns work hard: long runs a pattern starts on but cannot finish. */
const HOSTILE: ReadonlyArray<{ name: string; make: (n: number) => string }> = [
  { name: "white space after HTTP", make: (n) => `HTTP${" ".repeat(n - 5)}x` },
  { name: "a.a.a.… (scheme / e-mail / host:port starts)", make: (n) => "a.".repeat(n / 2) },
  { name: "a-a-a-…", make: (n) => "a-".repeat(n / 2) },
  { name: "hex and colons", make: (n) => "a:".repeat(n / 2) },
  { name: "digits and dots", make: (n) => "1.".repeat(n / 2) },
  { name: "one long token", make: (n) => "Ab1".repeat(n / 3) },
];

export interface GroupingTiming {
  input: string;
  version: string;
  /** Median milliseconds for n and for 2n characters. */
  msAtN: number;
  msAt2N: number;
}

export interface GroupingResult {
  current: GroupingVersion;
  corpus: Array<{ version: string; score: GroupingScore }>;
  stress: Array<{ version: string; score: GroupingScore }>;
  /** Microseconds per corpus message, per version. */
  usPerMessage: Array<{ version: string; us: number }>;
  hostileChars: number;
  timings: GroupingTiming[];
}

function medianMs(fn: () => void, runs: number): number {
  fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

export async function runGrouping(): Promise<GroupingResult> {
  const versions = Object.entries(GROUPING_VERSIONS);
  const corpus = groupingCorpus();
  const stressCorpus = groupingCorpus(STRESS_OCCURRENCES);
  const messages = corpus.flatMap((f) => f.occurrences);
  const result: GroupingResult = { current: CURRENT_GROUPING, corpus: [], stress: [], usPerMessage: [], hostileChars: HOSTILE_CHARS, timings: [] };
  for (const [version, { normalize }] of versions) {
    result.corpus.push({ version, score: await scoreGrouping(corpus, normalize) });
    result.stress.push({ version, score: await scoreGrouping(stressCorpus, normalize) });
    const ms = medianMs(() => messages.forEach((m) => normalize(m)), 9);
    result.usPerMessage.push({ version, us: (ms * 1000) / messages.length });
  }
  // v1 as released (no white-space folding) for contrast: what the bounded entry point protects against.
  const contenders: Array<[string, (m: string) => string]> = [["v1 as released (normalizeV1Exact)", normalizeV1Exact], ...versions.map(([v, { normalize }]): [string, (m: string) => string] => [v, normalize])];
  for (const input of HOSTILE) {
    const small = input.make(HOSTILE_CHARS);
    const large = input.make(HOSTILE_CHARS * 2);
    for (const [version, normalize] of contenders) {
      const runs = version.startsWith("v1 as released") && input.name.startsWith("white space") ? 1 : 11;
      result.timings.push({ input: input.name, version, msAtN: medianMs(() => normalize(small), runs), msAt2N: medianMs(() => normalize(large), runs) });
    }
  }
  return result;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const ms = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));

function scoreRow(version: string, s: GroupingScore, current: string): string[] {
  return [
    version === current ? `**${version}** (current)` : version,
    pct(s.precision),
    pct(s.recall),
    `${s.groups} for ${s.failures}`,
    s.split.length ? s.split.map((x) => `${x.id} (${x.groups})`).join(", ") : "—",
    s.merged.length ? s.merged.map((m) => m.join(" + ")).join("; ") : "—",
  ];
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function groupingMarkdown(r: GroupingResult): string {
  const first = r.corpus[0]?.score;
  return [
    `## Grouping (issue 18)\n\nThe grouping corpus (\`tests/grouping/corpus.ts\`: ${first?.failures ?? "?"} realistic failures of UbiquityOS plugins, the kernel, Cloudflare, Deno Deploy, Supabase, OpenAI, GitHub and AWS), scored by pairwise precision (pairs put in one group that are one failure) and recall (pairs of one failure put in one group). The test (\`tests/unit/grouping-corpus.test.ts\`) requires precision 100 % and recall ≥ 99 % of the newest version. \`npm run bench -- --only grouping\` prints this section alone.`,
    `### ${first ? first.occurrences / first.failures : "?"} occurrences per failure (the corpus)\n\n` + table(["version", "precision", "recall", "groups", "split", "merged"], r.corpus.map(({ version, score }) => scoreRow(version, score, r.current))),
    `### ${STRESS_OCCURRENCES} occurrences per failure (stress: rarer id shapes)\n\n` + table(["version", "precision", "recall", "groups", "split", "merged"], r.stress.map(({ version, score }) => scoreRow(version, score, r.current))),
    `### Time\n\nPer corpus message: ${r.usPerMessage.map((u) => `${u.version} ${u.us.toFixed(1)} µs`).join(", ")}. On hostile text of n = ${r.hostileChars} and 2n characters (median ms; ratio ≈ 2 is linear, ≈ 4 quadratic, ≈ 8 cubic):\n\n` +
      table(
        ["input", "normalisation", "n", "2n", "ratio"],
        r.timings.map((t) => [t.input, t.version, ms(t.msAtN), ms(t.msAt2N), t.msAtN >= 0.02 ? (t.msAt2N / t.msAtN).toFixed(1) : "(too fast to tell)"]),
      ),
  ].join("\n\n");
}

export function groupingSummary(r: GroupingResult): Array<[string, string]> {
  const worst = (version: string) => Math.max(...r.timings.filter((t) => t.version === version).map((t) => t.msAt2N));
  return [
    ...r.corpus.map(({ version, score }): [string, string] => [`grouping ${version}${version === r.current ? " (current)" : ""}: corpus`, `precision ${pct(score.precision)}  recall ${pct(score.recall)}  (${score.groups} groups for ${score.failures} failures)`]),
    ...r.stress.map(({ version, score }): [string, string] => [`grouping ${version}: stress ×${STRESS_OCCURRENCES}`, `precision ${pct(score.precision)}  recall ${pct(score.recall)}`]),
    ...Object.keys(GROUPING_VERSIONS).map((version): [string, string] => [`grouping ${version}: hostile ${r.hostileChars * 2} chars`, `worst ${ms(worst(version))} ms`]),
  ];
}
