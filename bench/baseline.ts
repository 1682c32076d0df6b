/**
 * The earlier prototype (a GitHub Action, shared/kernel.md), re-implemented faithfully in Node against the same
 * GitHub double: one run per event, up to `concurrency` runs at once (queued beyond that, as Actions queues them),
 * each run:
 *   GET /search/issues?q="<marker>" repo:<o/r> in:body is:issue
 *   found → POST a comment, and PATCH it open if it was closed;   not found → POST the issue (title, body + marker)
 * with @octokit/core and no retries: any error fails the run, and that event is never filed.
 * Its fingerprint: sha256(event|plugin.id|targetRepo|category|normalizedMessage|environment).
 */
import { createHash } from "node:crypto";
import { Octokit } from "@octokit/core";
import type { GitHubDouble } from "../tests/github-double/index.ts";
import type { Fingerprint } from "./events.ts";
import { byKind, limitErrors, peakWritesPerMinute, requestsByRepo } from "./github-calls.ts";
import { replay, type StormPlan } from "./schedule.ts";

export const BASELINE_TOKEN = "ghs_benchPrototypeActionToken00000000000";

export interface BaselineResult {
  events: number;
  filed: number;
  failed: number;
  failuresBy: Record<string, number>;
  seconds: number;
  requests: number;
  /** Requests per repo (`owner/name`, lower case; a search's by its `repo:` qualifier). */
  requestsByRepo: Record<string, number>;
  requestsByKind: ReturnType<typeof byKind>;
  issuesCreated: number;
  duplicates: number;
  /** Fingerprints that never got an issue. */
  unfiled: number;
  comments: number;
  peakWrites: number;
  limitErrors: ReturnType<typeof limitErrors>;
  secondaryLimitHits: number;
  searchLimitHits: number;
}

function normalize(message: string): string {
  return message.toLowerCase().replace(/[0-9a-f]{7,}/g, "<hex>").replace(/\d+/g, "<n>").trim();
}

function prototypeFingerprint(fp: Fingerprint): string {
  return createHash("sha256").update(["kernel.plugin_error", fp.pluginId, fp.fullName, "workflow", normalize(fp.message), "production"].join("|")).digest("hex");
}

async function fileOne(octokit: Octokit, fp: Fingerprint, marker: string, seq: number): Promise<void> {
  const { data } = await octokit.request("GET /search/issues", { q: `"${marker}" repo:${fp.fullName} in:body is:issue` });
  const found = data.items[0];
  if (found) {
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: fp.owner,
      repo: fp.repo,
      issue_number: found.number,
      body: `The failure happened again (occurrence ${seq}): \`${fp.message}\``,
    });
    if (found.state === "closed") {
      await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { owner: fp.owner, repo: fp.repo, issue_number: found.number, state: "open" });
    }
    return;
  }
  await octokit.request("POST /repos/{owner}/{repo}/issues", {
    owner: fp.owner,
    repo: fp.repo,
    title: `[hotfix] ${fp.pluginId}: ${fp.message}`.slice(0, 256),
    body: `${marker}\n\n**Plugin:** \`${fp.pluginId}\`\n**Category:** workflow\n\n\`\`\`\n${fp.message}\n\`\`\`\n`,
  });
}

function reasonOf(error: unknown): string {
  const e = error as { status?: number; request?: { url?: string; method?: string } };
  const url = e.request?.url ?? "";
  const op = url.includes("/search/") ? "search" : url.endsWith("/comments") ? "comment" : e.request?.method === "PATCH" ? "reopen" : "create";
  return `${op} ${e.status ?? "error"}`;
}

export async function runBaseline(github: GitHubDouble, githubUrl: string, plan: StormPlan, fps: readonly Fingerprint[], concurrency: number): Promise<BaselineResult> {
  github.configure({ searchLagMs: 10_000 });
  const stats0 = { ...github.stats };
  const calls0 = github.calls.length;
  const octokit = new Octokit({ auth: BASELINE_TOKEN, baseUrl: githubUrl, userAgent: "daemon-hotfix-prototype-action" });
  const markers = fps.map((fp) => `hotfix-fingerprint:${prototypeFingerprint(fp)}`);
  const queue: number[] = [];
  const failuresBy: Record<string, number> = {};
  let running = 0;
  let filed = 0;
  let done = 0;
  let finish: () => void = () => undefined;
  const allDone = new Promise<void>((r) => {
    finish = r;
  });
  const seqs = new Array<number>(fps.length).fill(0);
  const pump = () => {
    while (running < concurrency && queue.length) {
      const i = queue.shift() as number;
      const fp = fps[plan.order[i] ?? 0] as Fingerprint;
      const seq = (seqs[fp.index] ?? 0) + 1;
      seqs[fp.index] = seq;
      running++;
      fileOne(octokit, fp, markers[fp.index] ?? "", seq)
        .then(
          () => {
            filed++;
          },
          (error: unknown) => {
            const reason = reasonOf(error);
            failuresBy[reason] = (failuresBy[reason] ?? 0) + 1;
          },
        )
        .finally(() => {
          running--;
          done++;
          if (done === plan.events) finish();
          else pump();
        });
    }
  };
  const started = Date.now();
  await replay(plan, (i) => {
    queue.push(i);
    pump();
  });
  await allDone;
  const seconds = (Date.now() - started) / 1000;
  const calls = github.calls.slice(calls0).filter((c) => c.token === BASELINE_TOKEN);
  const issues = fps.map((fp) => github.issues(fp.fullName));
  return {
    events: plan.events,
    filed,
    failed: plan.events - filed,
    failuresBy,
    seconds,
    requests: calls.length,
    requestsByRepo: requestsByRepo(calls),
    requestsByKind: byKind(calls),
    issuesCreated: issues.reduce((s, list) => s + list.length, 0),
    duplicates: issues.reduce((s, list) => s + Math.max(0, list.length - 1), 0),
    unfiled: issues.filter((list) => list.length === 0).length,
    comments: issues.reduce((s, list) => s + list.reduce((n, issue) => n + issue.comments_list.length, 0), 0),
    peakWrites: peakWritesPerMinute(calls).count,
    limitErrors: limitErrors(calls),
    secondaryLimitHits: github.stats.secondaryLimitHits - stats0.secondaryLimitHits,
    searchLimitHits: github.stats.searchLimitHits - stats0.searchLimitHits,
  };
}
