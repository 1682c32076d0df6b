/**
 * The verdict of a run: the targets (PASS/MISS, with the measured reasons when missed) and the checks of the
 * service's behaviour (any failure makes the bench exit 1).
 */
import type { CallEntry } from "../tests/github-double/index.ts";
import type { BaselineResult } from "./baseline.ts";
import type { Fingerprint } from "./events.ts";
import type { FloorResult, IngestRound, LevelResult } from "./ingest.ts";
import { roundRatios } from "./rounds.ts";
import * as cpu from "./procstat.ts";
import { type Check, ratioText, type Target } from "./report.ts";
import { acceptedOf } from "./answers.ts";
import type { Costs, LateResult } from "./run.ts";
import type { StormResult } from "./storm.ts";

export interface VerdictInput {
  cpus: number;
  warmup: LevelResult;
  levels: LevelResult[];
  floors: FloorResult[];
  /** Alternating GET /healthz and ingest rounds at concurrency 50: the throughput target is their median ratio. */
  rounds: IngestRound[];
  /** Whether every round's events were counted by the consumer before the next round. */
  roundsCounted: boolean;
  disabled: LevelResult;
  duplicate: LevelResult;
  /** When the consumer had counted every ingest event (null: not within the wait). */
  drainedAt: number | null;
  storm: StormResult;
  stormFingerprints: readonly Fingerprint[];
  /** The service's GitHub requests (its token), whole run. */
  daemonCalls: readonly CallEntry[];
  baseline: BaselineResult;
  deadlineMs: number;
  stormCosts: Costs;
  late: LateResult;
  shedStorm: StormResult;
  shedCosts: Costs;
  spacingMs: number;
  /** Events per storm fingerprint (rank order). */
  perFingerprint: readonly number[];
}

export function verdict(i: VerdictInput): { targets: Target[]; checks: Check[] } {
  const { levels, floors, storm, baseline, disabled, duplicate, warmup, daemonCalls, drainedAt, stormFingerprints: stormFps } = i;
  const daemonRefused = daemonCalls.filter((c) => c.status < 200 || c.status >= 400);
  const c50 = levels.find((l) => l.concurrency === 50);
  const c1 = levels.find((l) => l.concurrency === 1);
  const best = [...levels].sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0];
  const floor50 = floors.find((x) => x.concurrency === 50);
  const floor1 = floors.find((x) => x.concurrency === 1);
  const rounded = roundRatios(i.rounds);
  const ingested = [warmup, ...levels, ...i.rounds.map((r) => r.ingest)];
  const kind = (k: string) => storm.requestsByKind.find((x) => x.kind === k)?.count ?? 0;
  const creates = kind("POST issues/create");
  const updates = kind("PATCH issues/update");
  const stormRepoSet = new Set(stormFps.map((fp) => fp.fullName.toLowerCase()));
  const updatesPerRepo = new Map<string, number>();
  for (const c of daemonCalls) {
    if (c.method === "PATCH" && c.repo && stormRepoSet.has(c.repo.toLowerCase())) updatesPerRepo.set(c.repo, (updatesPerRepo.get(c.repo) ?? 0) + 1);
  }
  const clustersUpdated = updatesPerRepo.size;
  const clustersUpdatedTwice = [...updatesPerRepo.values()].filter((n) => n > 1).length;
  const n0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "—" : Math.round(x).toLocaleString("en-US"));
  const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "—" : x.toFixed(2));
  const oneThread = (c: cpu.CpuUse | null | undefined) => !!c && (c.topWorkerdThreads[0] ?? 0) >= 0.6 && (c.topWorkerdThreads[1] ?? 0) < 0.35;
  const threads = (c: cpu.CpuUse | null | undefined) => (c ? c.topWorkerdThreads.map((t) => `${(t * 100).toFixed(0)} %`).join(", ") : "—");
  const perEvent = (l: { cpu: cpu.CpuUse | null; requests: number } | undefined, name: string) => (l?.cpu ? (((l.cpu.seconds[name] ?? 0) / l.requests) * 1000).toFixed(2) : "—");
  const ratio = storm.requests / Math.max(1, baseline.requests);
  // Today's check was set on the 50-fingerprint storm; issue 14's late fingerprint (10 events, its own repo in
  // either run) is left out of it like for like, and the whole run's ratio is shown beside it.
  const lateName = i.late.repo.split("/")[1]?.toLowerCase() ?? "";
  const apart = (byRepo: Record<string, number>) => Object.entries(byRepo).reduce((n, [repo, count]) => (repo.split("/")[1] === lateName ? n + count : n), 0);
  const ours50 = storm.requests - apart(storm.requestsByRepo);
  const theirs50 = baseline.requests - apart(baseline.requestsByRepo);
  const ratio50 = ours50 / Math.max(1, theirs50);
  const checked = i.stormFingerprints.length - 1;

  const targets: Target[] = [
    {
      name: "storm GitHub requests ≤ 1 % of the baseline's",
      goal: `≤ 1 % (the ${checked} fingerprints the check was set on)`,
      measured: `${ours50} vs ${theirs50} = ${(ratio50 * 100).toFixed(3)} % (with the late fingerprint: ${storm.requests} vs ${baseline.requests} = ${(ratio * 100).toFixed(3)} %)`,
      pass: ratio50 <= 0.01,
      note:
        `The check predates issue 14's late fingerprint (${i.late.repo}, its own repo in both runs): it compares the requests about the other ${checked} repos; with the late one in, the floor below (a create and an edit per fingerprint) rises to ${((2 * i.stormFingerprints.length * 100) / Math.max(1, baseline.requests)).toFixed(3)} %, over 1 %. ` +
        `daemon-hotfix's ${storm.requests} requests are ${creates} creates (one per fingerprint) and ${updates} body edits: ` +
        `${clustersUpdated} of ${i.stormFingerprints.length} clusters received events after their issue was created, so each needs at least one edit ` +
        `to show its final count${clustersUpdatedTwice ? `, and ${clustersUpdatedTwice} needed a second because events still arrived updateIntervalSeconds (60 s) after the first` : ""}. ` +
        `A create plus one edit carrying the final count per fingerprint — the least a service that files a failure when first seen and then shows its exact count can do — ` +
        `is ${2 * checked} requests for the ${checked} checked fingerprints, ${((2 * checked * 100) / Math.max(1, theirs50)).toFixed(3)} % of the baseline's ${theirs50} for them: the target sits at that floor. ` +
        `The baseline's total is small for a ${i.storm.sent.toLocaleString("en-US")}-event storm because its runs die at the first refusal: ${baseline.limitErrors.search} of its ${baseline.events} searches were refused by GitHub's ` +
        `30/min search limit, ending those runs before any write.` +
        (kind("GET issues/list-for-repo") ? ` The ${kind("GET issues/list-for-repo")} GET issues/list-for-repo ${kind("GET issues/list-for-repo") === 1 ? "is a recovery look-up" : "are recovery look-ups"}: the service retried a create whose outcome it had not confirmed and first looked for the issue it may have made.` : ""),
    },
    countedTarget(i.stormCosts, "10,000-event storm"),
    lateTarget(i.late, i.spacingMs),
    ...costTargets(i.stormCosts, i.perFingerprint),
    {
      name: "ingest throughput at concurrency 50 ≥ 50 % of GET /healthz's",
      goal: "≥ 50 %",
      measured:
        `median of ${i.rounds.length} alternating rounds ${ratioText(rounded.median)} (${rounded.ratios.map(ratioText).join(", ")}); ` +
        `the single level and floor: ${n0(c50?.eventsPerSecond)} vs ${n0(floor50?.requestsPerSecond)} per second = ${c50 && floor50 ? ratioText(c50.eventsPerSecond / floor50.requestsPerSecond) : "—"}`,
      pass: rounded.median >= 0.5,
      note: `read from rounds that alternate ${i.rounds[0]?.floor.requests ?? 0} GET /healthz and ${i.rounds[0]?.ingest.requests ?? 0} events on the same stack, so the machine's drift hits both alike: each floor runs once the events before it are counted, each ingest round with the consumer working off its own events. The single level and floor ran minutes apart.`,
      why:
        `over the level workerd spent ${perEvent(c50, "workerd")} ms of CPU per event against ${floor50?.cpu ? (((floor50.cpu.seconds["workerd"] ?? 0) / floor50.requests) * 1000).toFixed(2) : "—"} ms per GET /healthz ` +
        `(cores used: ${cpu.describe(c50?.cpu)} of ${i.cpus}; busiest workerd threads ${threads(c50?.cpu)}${oneThread(c50?.cpu) ? " — most of it on one thread" : ""}). Cut short after the signature check (\`disabled\`) the same POST runs at ` +
        `${n0(disabled.eventsPerSecond)}/s (${perEvent(disabled, "workerd")} ms workerd CPU each), through the per-repo gate (a duplicate delivery) at ${n0(duplicate.eventsPerSecond)}/s (${perEvent(duplicate, "workerd")} ms): ` +
        `the signed input's parse and RSA check alone take ${disabled.cpu && floor50?.cpu ? (Number(perEvent(disabled, "workerd")) - ((floor50.cpu.seconds["workerd"] ?? 0) / floor50.requests) * 1000).toFixed(2) : "—"} ms more than the floor.`,
    },
    {
      name: "ingest median at concurrency 1 ≤ 2.5 × GET /healthz's",
      goal: "≤ 2.5 ×",
      measured: `${ms(c1?.latency.p50)} vs ${ms(floor1?.latency.p50)} ms = ${c1 && floor1 ? (c1.latency.p50 / floor1.latency.p50).toFixed(2) : "—"} ×`,
      pass: !!c1 && !!floor1 && c1.latency.p50 <= 2.5 * floor1.latency.p50,
      why: `alone, a request spends ${ms(c1 ? c1.latency.p50 - (floor1?.latency.p50 ?? 0) : undefined) } ms over the floor; \`disabled\` (parse + signature check) at concurrency 50 took ${perEvent(disabled, "workerd")} ms of workerd CPU, the full path ${perEvent(c50, "workerd")} ms.`,
    },
    shedTarget(i.shedStorm, i.shedCosts),
  ];

  const checks: Check[] = [
    { name: "exactly one issue per storm fingerprint", ok: storm.duplicates === 0 && storm.repos.every((r) => r.issues === 1), detail: `${storm.duplicates} duplicates; ${storm.repos.filter((r) => r.issues === 0).length} fingerprints without an issue` },
    { name: `storm issues created = ${i.stormFingerprints.length}`, ok: storm.issuesCreated === i.stormFingerprints.length && creates === i.stormFingerprints.length, detail: `${storm.issuesCreated} issues, ${creates} create requests` },
    { name: "no storm event lost (all queued, every issue shows its exact count)", ok: storm.notQueued === 0 && storm.wrongCounts.length === 0 && storm.secondsToReflect !== null, detail: `${storm.notQueued} not queued; ${storm.wrongCounts.length} fingerprints with a wrong count after ${i.deadlineMs / 1000} s` },
    {
      name: "no ingest event lost (all 200 queued and counted)",
      ok: ingested.every((l) => l.non200 === 0 && acceptedOf(l.answers) === l.requests) && drainedAt !== null && i.roundsCounted,
      detail: `non-200: ${ingested.reduce((n, l) => n + l.non200, 0)}; counted by the consumer: ${drainedAt === null ? "not within 180 s" : i.roundsCounted ? "all (the rounds' too)" : "the levels', not all of the rounds'"}`,
    },
    { name: "peak writes per 60 s ≤ GITHUB_WRITES_PER_MINUTE (80)", ok: storm.peakWritesToken <= 80, detail: `${storm.peakWritesToken} (the token, all repos)` },
    { name: "no secondary-limit error", ok: storm.secondaryLimitHits === 0, detail: `${storm.secondaryLimitHits}` },
    {
      name: "an issue is written at most once per updateIntervalSeconds (60 s)",
      ok: storm.minWriteGapMs === null || storm.minWriteGapMs >= 60_000,
      detail: `shortest gap between two writes to one storm issue: ${storm.minWriteGapMs === null ? "—" : `${(storm.minWriteGapMs / 1000).toFixed(1)} s`}`,
    },
    { name: "shed storm: exactly one issue per fingerprint, each with its exact count", ok: i.shedStorm.duplicates === 0 && i.shedStorm.repos.every((r) => r.issues === 1) && i.shedStorm.wrongCounts.length === 0 && i.shedStorm.secondsToReflect !== null, detail: `${i.shedStorm.duplicates} duplicates; ${i.shedStorm.wrongCounts.length} wrong counts (${Object.entries(i.shedStorm.answers).map(([k, n]) => `${k}: ${n}`).join(", ")})` },
    { name: "shed storm: peak writes per 60 s ≤ 80, no secondary-limit error", ok: i.shedStorm.peakWritesToken <= 80 && i.shedStorm.secondaryLimitHits === 0, detail: `${i.shedStorm.peakWritesToken}; ${i.shedStorm.secondaryLimitHits}` },
    { name: "no GitHub request of daemon-hotfix refused", ok: daemonRefused.length === 0, detail: daemonRefused.length ? daemonRefused.slice(0, 5).map((c) => `${c.method} ${c.path} ${c.status}`).join("; ") : "0" },
  ];

  return { targets, checks };
}

const pct = (a: number, b: number) => (b > 0 ? (a / b) * 100 : Number.NaN);

function countedTarget(c: Costs, what: string): Target {
  const share = pct(c.countedWithin5s, c.lagObservations);
  return {
    name: `${what}: ≥ 95 % of events counted within 5 s of arriving`,
    goal: "≥ 95 %",
    measured: `${c.countedWithin5s.toLocaleString("en-US")} of ${c.lagObservations.toLocaleString("en-US")} = ${share.toFixed(1)} %`,
    pass: share >= 95,
    note: "from the service's own `daemon_hotfix_counting_lag_seconds` (per event: its arrival at ingest → counted into its cluster; an aggregate's events from the start of their 250 ms arrival step, so never understated), bucket ≤ 5 s, before vs after the storm.",
    why: `the counting consumer fell behind the storm's rate on this machine (see the progress table): ${(100 - share).toFixed(1)} % of events waited longer than 5 s in the events queue.`,
  };
}

function lateTarget(l: LateResult, spacingMs: number): Target {
  const allowed = 3 + (l.createsBetween * spacingMs) / 1000;
  return {
    name: `a fingerprint first sent ${l.sentAtSeconds.toFixed(0)} s into the storm has its issue within 3 s (+ GitHub's spacing behind other pending creates)`,
    goal: `≤ 3 s + ${l.createsBetween} × ${spacingMs / 1000} s = ${allowed.toFixed(1)} s`,
    measured: l.seconds === null ? "no issue" : `${l.seconds.toFixed(2)} s (${l.createsBetween} other creates, ${l.otherWritesBetween} other writes in between)`,
    pass: l.seconds !== null && l.seconds <= allowed,
    note:
      `from its first event's send to GitHub's 201 for its issue (the double's call log); writes in between: ${l.createsBetween} creates of other new failures ` +
      `(${l.overtook} of failures first sent after it), ${l.otherWritesBetween} edits/comments; creates came ${l.meanCreateGapSeconds === null ? "—" : l.meanCreateGapSeconds.toFixed(2)} s apart on average meanwhile (spacing ${spacingMs / 1000} s).`,
    why:
      l.seconds === null
        ? "its issue was never created"
        : `it waited ${(l.seconds - allowed).toFixed(2)} s beyond the allowance: ${l.otherWritesBetween > 0 ? `${l.otherWritesBetween} edits were written between its first event's send and its create (edits already holding a slot, or served before its event was counted — ingest's answer to it took ${l.answerMs === null ? "—" : `${l.answerMs.toFixed(0)} ms`}); ` : "no edit was written before it (creates first held); "}` +
          `the creates ahead of it came ${l.meanCreateGapSeconds === null ? "—" : l.meanCreateGapSeconds.toFixed(2)} s apart instead of ${spacingMs / 1000} s.`,
  };
}

/** Expected distinct fingerprints among `draw` events taken at random from a storm with these counts per fingerprint. */
export function distinctPer(perFingerprint: readonly number[], draw: number): number {
  const total = perFingerprint.reduce((a, b) => a + b, 0);
  return total > 0 ? perFingerprint.reduce((sum, n) => sum + 1 - (1 - n / total) ** draw, 0) : 0;
}

function costTargets(c: Costs, perFingerprint: readonly number[]): Target[] {
  const per = (n: number) => (c.accepted > 0 ? n / c.accepted : Number.NaN);
  const consumer = c.consumerDo + c.writesDo;
  return [
    {
      name: "Durable Object requests per accepted event at ingest ≤ 1",
      goal: "≤ 1",
      measured: `${c.ingestDo.toLocaleString("en-US")} / ${c.accepted.toLocaleString("en-US")} = ${per(c.ingestDo).toFixed(3)}`,
      pass: per(c.ingestDo) <= 1,
      why: "ingest called a Durable Object more than once for some events (a success's CI-stream call, or a queue refusal's parking).",
    },
    {
      name: "Durable Object requests per accepted event in the consumer ≤ 0.2",
      goal: "≤ 0.2",
      measured: `${consumer.toLocaleString("en-US")} / ${c.accepted.toLocaleString("en-US")} = ${per(consumer).toFixed(3)} (counting ${per(c.consumerDo).toFixed(3)}, writes ${per(c.writesDo).toFixed(3)})`,
      pass: per(consumer) <= 0.2,
      note: "`daemon_hotfix_do_requests_total{component=\"consumer\"|\"writes\"}`: one cluster call per fingerprint per batch of up to 100 messages while counting — a message being one event (a failure's first) or a gate's aggregate of a known failure's events (GATHER_SECONDS, 1 s); the writes path's plan/confirm/abandon and write-budget calls.",
      why:
        `batches of up to 100 messages hold ${c.accepted > 0 && c.consumerDo > 0 ? (c.accepted / c.consumerDo).toFixed(1) : "—"} events per fingerprint on average in this Zipf-skewed storm: each distinct fingerprint in a batch costs one call. ` +
        (perFingerprint.length
          ? `For this storm's counts, a batch of 100 events drawn at random holds ${distinctPer(perFingerprint, 100).toFixed(1)} distinct fingerprints on average: ${(distinctPer(perFingerprint, 100) / 100).toFixed(3)} calls per event is the floor of one call per fingerprint per batch at Cloudflare's largest batch (100), before any write. ` +
            `Under 0.2 needs counting aggregated over time, not per batch (a fingerprint's events gathered for a second or two before one call: ${(distinctPer(perFingerprint, 400) / 400).toFixed(3)} per event for 400 events, about 2.4 s of this storm).`
          : ""),
    },
    {
      name: "D1 statements per accepted event ≤ 0.05",
      goal: "≤ 0.05",
      measured: `${c.d1.toLocaleString("en-US")} / ${c.accepted.toLocaleString("en-US")} = ${per(c.d1).toFixed(4)} (${Object.entries(c.d1ByComponent).map(([k, n]) => `${k} ${n}`).join(", ")})`,
      pass: per(c.d1) <= 0.05,
      note: "`daemon_hotfix_d1_statements_total`: counter upserts (one statement per flush, every label set read from one JSON parameter; ingest's gathered per isolate and written every METRICS_FLUSH_SECONDS) and cluster-index writes.",
      why: "the consumer's per-batch counter flush and the cluster index writes came to more than one statement per 20 events.",
    },
  ];
}

function shedTarget(s: StormResult, c: Costs): Target {
  const shed = s.answers["200 rate_limited"] ?? 0;
  return {
    name: "with the per-repo limit at its defaults, the storm's issues show exact counts although ingest sheds",
    goal: "every issue = events sent",
    measured: `${s.repos.length - s.wrongCounts.length} of ${s.repos.length} exact; ${shed.toLocaleString("en-US")} of ${s.sent.toLocaleString("en-US")} events shed (answered rate_limited), counted through ${c.queueMessages.toLocaleString("en-US")} queued events + the gates' aggregates`,
    pass: s.wrongCounts.length === 0 && s.secondsToReflect !== null && shed > 0,
    note: `${s.secondsToReflect === null ? "not reflected" : `reflected ${s.secondsToReflect.toFixed(1)} s after the first event`}; counted within 5 s of arriving: ${pct(c.countedWithin5s, c.lagObservations).toFixed(1)} % (shed events wait for their gate's ${2} s interval).`,
    why: s.wrongCounts.length ? `wrong counts: ${s.wrongCounts.slice(0, 5).map((w) => `${w.repo} ${w.shown ?? "no issue"} ≠ ${w.expected}`).join("; ")}` : "nothing was shed, or it was not reflected in time",
  };
}
