/** Reading the GitHub double's call log and issues: requests by kind, write windows, counts shown in bodies. */
import type { CallEntry, GitHubDouble } from "../tests/github-double/index.ts";
import { peakInWindow, tally } from "./stats.ts";

export function kindOf(call: CallEntry): string {
  return `${call.method} ${call.operationId ?? call.path}`;
}

/** Requests by kind (method + operationId), with the statuses answered. */
export function byKind(calls: readonly CallEntry[]): Array<{ kind: string; count: number; statuses: Record<string, number> }> {
  return tally(calls.map(kindOf)).map(([kind, count]) => {
    const statuses: Record<string, number> = {};
    for (const c of calls) if (kindOf(c) === kind) statuses[String(c.status)] = (statuses[String(c.status)] ?? 0) + 1;
    return { kind, count, statuses };
  });
}

/** The repo a request is about (`owner/name`, lower case): its path's, or a search's `repo:` qualifier; null for neither. */
export function repoOf(call: CallEntry): string | null {
  if (call.repo) return call.repo.toLowerCase();
  const qualifier = /(?:^|\s)repo:(\S+)/.exec(call.query["q"] ?? "");
  return qualifier?.[1]?.toLowerCase() ?? null;
}

/** Requests per repo (`owner/name`, lower case). */
export function requestsByRepo(calls: readonly CallEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) {
    const repo = repoOf(c);
    if (repo) out[repo] = (out[repo] ?? 0) + 1;
  }
  return out;
}

/** Non-GET requests (attempted writes, whatever the answer). */
export function writes(calls: readonly CallEntry[]): CallEntry[] {
  return calls.filter((c) => c.method !== "GET" && c.method !== "HEAD");
}

export function peakWritesPerMinute(calls: readonly CallEntry[]): { count: number; startMs: number | null } {
  return peakInWindow(
    writes(calls).map((c) => c.at),
    60_000,
  );
}

/** 403/429 answers, sorted into GitHub's limits. */
export function limitErrors(calls: readonly CallEntry[]): { search: number; secondary: number; other: number; total: number } {
  let search = 0;
  let secondary = 0;
  let other = 0;
  for (const c of calls) {
    if (c.status !== 403 && c.status !== 429) continue;
    if (c.path.startsWith("/search/")) search++;
    else if (c.method !== "GET") secondary++;
    else other++;
  }
  return { search, secondary, other, total: search + secondary + other };
}

const OCCURRENCES = /\| Occurrences \| \*\*(\d+)\*\* \|/;

export interface RepoIssues {
  repo: string;
  issues: number;
  /** Occurrences shown by the first (lowest-numbered) issue's body, or null when it shows none. */
  occurrences: number | null;
}

export function repoIssues(github: GitHubDouble, repo: string): RepoIssues {
  const issues = github.issues(repo).sort((a, b) => Number(a.number) - Number(b.number));
  const body = typeof issues[0]?.body === "string" ? issues[0].body : "";
  const m = OCCURRENCES.exec(body);
  return { repo, issues: issues.length, occurrences: m ? Number(m[1]) : null };
}
