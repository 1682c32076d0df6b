import type { CheckRunSpec, RunSpec } from "../github-double/actions.ts";
import type { FaultRule as DoubleFaultRule } from "../github-double/faults.ts";

/** Talks to the GitHub double (running in Node, behind miniflare's outboundService) through its control API. */

export const GITHUB_API = "https://api.github.test";

export interface DoubleComment {
  id: number;
  body: string;
  user: { login: string };
}
export interface DoubleIssue {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  state_reason: string | null;
  labels: Array<{ name: string }>;
  comments: number;
  comments_list?: DoubleComment[];
}
export interface DoubleCall {
  at: number;
  method: string;
  path: string;
  status: number;
  operationId?: string;
  /** `owner/repo` of a call under /repos/{owner}/{repo}, else null. */
  repo?: string | null;
  requestBody?: unknown;
  /** The write took effect (also when a fault then replaced GitHub's answer). */
  committed?: boolean;
  /** The injected fault that shaped this answer, if any. */
  fault?: string | null;
  /** The token the request carried (null: none). */
  token?: string | null;
  /** For the Actions log host: the Range header sent. */
  range?: string;
}
/** The double's fault rule as its control API takes it (JSON: `match.path` is a substring, not a RegExp). */
export type FaultRule = Omit<DoubleFaultRule, "match"> & { match?: { method?: string; path?: string; repo?: string } };

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${GITHUB_API}/_double/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`double control ${method} ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const github = {
  issues: (repo: string) => control<Array<DoubleIssue>>("GET", `issues?repo=${encodeURIComponent(repo)}`),
  calls: (repo: string) => control<DoubleCall[]>("GET", `calls?repo=${encodeURIComponent(repo)}`),
  fault: (rule: FaultRule) => control<unknown>("POST", "faults", rule),
  close: (repo: string, number: number, reason: "completed" | "not_planned") => control<unknown>("POST", `issues/${repo}/${number}/close`, { reason }),
  missing: (repo: string) => control<unknown>("POST", "missing", { repo }),
  manifest: (url: string, manifest: unknown) => control<unknown>("POST", "manifests", { url, manifest }),
  violations: () => control<string[]>("GET", "violations"),
  homepage: (repo: string, homepage: string | null) => control<unknown>("POST", "repos/homepage", { repo, homepage }),
  putFile: (repo: string, path: string, content: string) => control<unknown>("POST", "repos/files", { repo, path, content }),
  allCalls: () => control<DoubleCall[]>("GET", "calls"),
  /** A workflow run GitHub then serves: its jobs, steps, annotations and logs. */
  actionsRun: (spec: RunSpec) => control<{ jobs: Array<{ id: number; name: string; html_url: string }> }>("POST", "actions/runs", spec),
  /** A check run (outside Actions) with its output and annotations. */
  checkRun: (spec: CheckRunSpec) => control<unknown>("POST", "check-runs", spec),
};

/** Writes that took effect on GitHub for one repo (whatever answer the client then got). */
export async function writes(repo: string): Promise<DoubleCall[]> {
  return (await github.calls(repo)).filter((c) => c.method !== "GET" && (c.committed ?? c.status < 300));
}

/** Polls until `check` passes (it throws or returns false until then). */
export async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (check(last)) return last;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
