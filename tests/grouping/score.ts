/** Pairwise precision and recall of a grouping on the corpus (./corpus.ts). Pure. */
import type { CorpusFailure } from "./corpus.ts";

export interface GroupingScore {
  failures: number;
  occurrences: number;
  /** Groups the grouping made. */
  groups: number;
  /** Of the pairs of occurrences put in one group, the share that are one failure (1 = never merges two). */
  precision: number;
  /** Of the pairs of occurrences of one failure, the share put in one group (1 = never splits one). */
  recall: number;
  /** Failures filed as more than one group, with their group count. */
  split: Array<{ id: string; groups: number }>;
  /** Groups holding more than one failure. */
  merged: string[][];
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/** Scores `key` (occurrence → group key) on the corpus. */
export async function scoreGrouping(corpus: readonly CorpusFailure[], key: (message: string) => string | Promise<string>): Promise<GroupingScore> {
  const byGroup = new Map<string, Map<string, number>>();
  const byFailure = new Map<string, Map<string, number>>();
  let occurrences = 0;
  for (const failure of corpus) {
    for (const message of failure.occurrences) {
      occurrences++;
      const group = await key(message);
      const failures = byGroup.get(group) ?? new Map<string, number>();
      failures.set(failure.id, (failures.get(failure.id) ?? 0) + 1);
      byGroup.set(group, failures);
      const groups = byFailure.get(failure.id) ?? new Map<string, number>();
      groups.set(group, (groups.get(group) ?? 0) + 1);
      byFailure.set(failure.id, groups);
    }
  }
  let together = 0;
  let togetherAndSame = 0;
  for (const failures of byGroup.values()) {
    together += pairs([...failures.values()].reduce((a, b) => a + b, 0));
    for (const n of failures.values()) togetherAndSame += pairs(n);
  }
  let same = 0;
  for (const failure of corpus) same += pairs(failure.occurrences.length);
  return {
    failures: corpus.length,
    occurrences,
    groups: byGroup.size,
    precision: together === 0 ? 1 : togetherAndSame / together,
    recall: same === 0 ? 1 : togetherAndSame / same,
    split: [...byFailure].filter(([, groups]) => groups.size > 1).map(([id, groups]) => ({ id, groups: groups.size })),
    merged: [...byGroup.values()].filter((failures) => failures.size > 1).map((failures) => [...failures.keys()]),
  };
}

export function describeScore(name: string, s: GroupingScore): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return (
    `${name}: precision ${pct(s.precision)}, recall ${pct(s.recall)} — ${s.failures} failures × ${s.occurrences / s.failures} occurrences → ${s.groups} groups` +
    (s.split.length ? `; split: ${s.split.map((x) => `${x.id} (${x.groups})`).join(", ")}` : "") +
    (s.merged.length ? `; merged: ${s.merged.map((m) => m.join(" + ")).join("; ")}` : "")
  );
}
