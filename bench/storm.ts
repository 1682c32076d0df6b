/**
 * The storm through daemon-hotfix: the planned events POSTed at their arrival times, then the GitHub double polled
 * until every cluster is reflected (exactly one issue per fingerprint whose body shows the number of events sent
 * for it) or the deadline passes. GitHub traffic is read from the double's call log.
 */
import type { CallEntry, GitHubDouble } from "../tests/github-double/index.ts";
import type { Fingerprint } from "./events.ts";
import { byKind, limitErrors, peakWritesPerMinute, repoIssues, type RepoIssues, requestsByRepo, writes } from "./github-calls.ts";
import { acceptedOf, answerKey } from "./answers.ts";
import { agent, postJson } from "./http.ts";
import * as cpu from "./procstat.ts";
import { replay, type StormPlan } from "./schedule.ts";

export interface StormResult {
  sent: number;
  /** Answers other than 200 queued: events the service did not take. */
  notQueued: number;
  answers: Record<string, number>;
  maxSendLateMs: number;
  sendSeconds: number;
  firstEventAtMs: number;
  lastEventAtMs: number;
  /** First moment every cluster was seen reflected (null: never, within the deadline). */
  reflectedAtMs: number | null;
  secondsToReflect: number | null;
  /** When the consumer had counted every storm event into its cluster (null: not seen). */
  countedAtMs: number | null;
  /** The consumer's progress while the storm was sent and after: events sent and counted by then. */
  progress: Array<{ atMs: number; counted: number; sent: number; writes: number }>;
  /** When the last GitHub write for a storm repo happened (from the call log). */
  lastWriteAtMs: number | null;
  repos: RepoIssues[];
  issuesCreated: number;
  /** Issues beyond the first per fingerprint. */
  duplicates: number;
  /** Fingerprints whose first issue shows a count other than the events sent. */
  wrongCounts: Array<{ repo: string; expected: number; shown: number | null }>;
  requests: number;
  /** Requests per repo (`owner/name`, lower case). */
  requestsByRepo: Record<string, number>;
  requestsByKind: ReturnType<typeof byKind>;
  writes: number;
  peakWritesStormRepos: number;
  /** Peak writes of the token (all repos, ingest phase included) in any 60 s window. */
  peakWritesToken: number;
  secondaryLimitHits: number;
  limitErrors: ReturnType<typeof limitErrors>;
  /** Shortest time between two consecutive writes to one cluster's issue (README: edits at most every updateIntervalSeconds). */
  minWriteGapMs: number | null;
  /** Writes per cluster: how many clusters got 2, 3, … writes. */
  writesPerCluster: Record<string, number>;
  /** When each fingerprint's first event was sent (index = fingerprint). */
  firstSentAtMs: number[];
  /** How long ingest took to answer each fingerprint's first event (ms). */
  firstAnswerMs: Array<number | null>;
  /** CPU while the events were sent, and while waiting for GitHub to reflect them. */
  cpuSend: cpu.CpuUse | null;
  cpuWait: cpu.CpuUse | null;
}

export interface StormOptions {
  url: string;
  github: GitHubDouble;
  /** The service's token as the double sees it ("": every call is the service's — a double of its own). */
  token: string;
  plan: StormPlan;
  fingerprints: readonly Fingerprint[];
  bodies: readonly string[];
  deadlineMs: number;
  log: (line: string) => void;
  /** Storm events the consumer has counted so far (asked every 2 s until all are counted). */
  counted?: () => Promise<number>;
}

function reflected(github: GitHubDouble, fps: readonly Fingerprint[], expected: readonly number[]): { done: boolean; repos: RepoIssues[] } {
  const repos = fps.map((fp) => repoIssues(github, fp.fullName));
  const done = repos.every((r, i) => r.issues >= 1 && r.occurrences === expected[i]);
  return { done, repos };
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const url = new URL("/", o.url);
  const via = agent(256);
  const pending: Promise<void>[] = [];
  const answers: Record<string, number> = {};
  let lastEventAtMs = 0;
  const cpu0 = cpu.available() ? cpu.sample() : null;
  // The consumer's progress, every 2 s until every event is counted.
  const progress: Array<{ atMs: number; counted: number; sent: number; writes: number }> = [];
  const stormRepoKeys = new Set(o.fingerprints.map((fp) => fp.fullName.toLowerCase()));
  const mine = (c: CallEntry) => o.token === "" || c.token === o.token;
  const stormWritesSoFar = () => o.github.calls.filter((c) => mine(c) && c.method !== "GET" && c.repo !== null && stormRepoKeys.has(c.repo.toLowerCase())).length;
  let countedAtMs: number | null = null;
  let sending = true;
  let sentSoFar = 0;
  const t0 = Date.now();
  const prober = (async () => {
    while (o.counted && countedAtMs === null && (sending || Date.now() < t0 + o.plan.durationMs + o.deadlineMs)) {
      await new Promise((r) => setTimeout(r, 2000));
      const n = await o.counted().catch(() => Number.NaN);
      if (Number.isNaN(n)) continue;
      progress.push({ atMs: Date.now(), counted: n, sent: sentSoFar, writes: stormWritesSoFar() });
      if (n >= o.plan.events) countedAtMs = Date.now();
    }
  })();
  const firstSentAtMs = new Array<number>(o.plan.fingerprints).fill(0);
  const firstAnswerMs = new Array<number | null>(o.plan.fingerprints).fill(null);
  const sent = await replay(o.plan, (i) => {
    lastEventAtMs = Date.now();
    const index = o.plan.order[i] ?? 0;
    const first = !firstSentAtMs[index];
    if (first) firstSentAtMs[index] = lastEventAtMs;
    sentSoFar = i + 1;
    pending.push(
      postJson(url, o.bodies[i] ?? "", via).then((r) => {
        if (first) firstAnswerMs[index] = r.ms;
        const { key } = answerKey(r.status, r.body);
        answers[key] = (answers[key] ?? 0) + 1;
      }),
    );
  });
  await Promise.all(pending);
  sending = false;
  via.destroy();
  const cpu1 = cpu0 ? cpu.sample() : null;
  const sendSeconds = (lastEventAtMs - sent.startedAtMs) / 1000;
  o.log(`storm: ${o.plan.events} events sent in ${sendSeconds.toFixed(1)} s (latest send ${sent.maxLateMs.toFixed(0)} ms behind schedule); waiting for GitHub to reflect them`);

  const deadline = Date.now() + o.deadlineMs;
  let state = reflected(o.github, o.fingerprints, o.plan.perFingerprint);
  let lastReport = Date.now();
  while (!state.done && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    state = reflected(o.github, o.fingerprints, o.plan.perFingerprint);
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      const ok = state.repos.filter((r, i) => r.occurrences === o.plan.perFingerprint[i]).length;
      const withIssue = state.repos.filter((r) => r.issues > 0).length;
      o.log(`storm: ${withIssue}/${o.fingerprints.length} fingerprints have an issue, ${ok} show the final count (${((Date.now() - sent.startedAtMs) / 1000).toFixed(0)} s since the first event)`);
    }
  }
  const reflectedAtMs = state.done ? Date.now() : null;
  if (countedAtMs === null) countedAtMs = -1; // stops the prober
  await prober;
  if (countedAtMs === -1) countedAtMs = null;
  const cpu2 = cpu0 ? cpu.sample() : null;

  const stormRepos = new Set(o.fingerprints.map((fp) => fp.fullName.toLowerCase()));
  const tokenCalls = o.github.calls.filter(mine);
  const stormCalls: CallEntry[] = tokenCalls.filter((c) => c.repo !== null && stormRepos.has(c.repo.toLowerCase()));
  const stormWrites = writes(stormCalls);
  const perRepo = new Map<string, number[]>();
  for (const c of stormWrites) perRepo.set(c.repo ?? "", [...(perRepo.get(c.repo ?? "") ?? []), c.at]);
  let minWriteGapMs: number | null = null;
  const writesPerCluster: Record<string, number> = {};
  for (const times of perRepo.values()) {
    times.sort((a, b) => a - b);
    writesPerCluster[String(times.length)] = (writesPerCluster[String(times.length)] ?? 0) + 1;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
      minWriteGapMs = minWriteGapMs === null ? gap : Math.min(minWriteGapMs, gap);
    }
  }
  const notQueued = o.plan.events - acceptedOf(answers);
  return {
    sent: o.plan.events,
    notQueued,
    answers,
    maxSendLateMs: sent.maxLateMs,
    sendSeconds,
    firstEventAtMs: sent.startedAtMs,
    lastEventAtMs,
    reflectedAtMs,
    countedAtMs,
    progress,
    secondsToReflect: reflectedAtMs === null ? null : (reflectedAtMs - sent.startedAtMs) / 1000,
    lastWriteAtMs: stormWrites.length ? Math.max(...stormWrites.map((c) => c.at)) : null,
    repos: state.repos,
    issuesCreated: state.repos.reduce((s, r) => s + r.issues, 0),
    duplicates: state.repos.reduce((s, r) => s + Math.max(0, r.issues - 1), 0),
    wrongCounts: state.repos.flatMap((r, i) => (r.occurrences === o.plan.perFingerprint[i] ? [] : [{ repo: r.repo, expected: o.plan.perFingerprint[i] ?? 0, shown: r.occurrences }])),
    requests: stormCalls.length,
    requestsByRepo: requestsByRepo(stormCalls),
    requestsByKind: byKind(stormCalls),
    writes: stormWrites.length,
    peakWritesStormRepos: peakWritesPerMinute(stormCalls).count,
    peakWritesToken: peakWritesPerMinute(tokenCalls).count,
    secondaryLimitHits: o.github.stats.secondaryLimitHits,
    limitErrors: limitErrors(stormCalls),
    minWriteGapMs,
    writesPerCluster,
    firstSentAtMs,
    firstAnswerMs,
    cpuSend: cpu0 && cpu1 ? cpu.between(cpu0, cpu1) : null,
    cpuWait: cpu1 && cpu2 ? cpu.between(cpu1, cpu2) : null,
  };
}
